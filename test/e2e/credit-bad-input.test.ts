import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { customerParams, DAY, expectStripeError, HOUR, loose, rawRequest } from '../fixtures/stripe';
import { clockedCustomer, GRACE, licensedPrice, march, meteredPrice, newMeter } from '../fixtures/billing';
import { anyMetered, grant, grantParams, grantsOf, ledgerOf, monetary, onlyPrices } from '../fixtures/credits';

describe('bad credit requests', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  /** Everything the requests below could have written. */
  let world: {
    clock: Stripe.TestHelpers.TestClock;
    /** A customer without grants: every bad grant would be its first. */
    customer: Stripe.Customer;
    calls: Stripe.Price;
    eurCalls: Stripe.Price;
    fee: Stripe.Price;
    manyPrices: Stripe.Price[];
    /** A customer with a grant in force and a voided one. */
    holder: Stripe.Customer;
    live: Stripe.Billing.CreditGrant;
    voided: Stripe.Billing.CreditGrant;
  };

  beforeAll(async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const [calls, eurCalls, fee, ...manyPrices] = await Promise.all([
      meteredPrice(stripe, product.id, meter.id),
      meteredPrice(stripe, product.id, meter.id, { currency: 'eur' }),
      licensedPrice(stripe, product.id),
      ...Array.from({ length: 21 }, () => meteredPrice(stripe, product.id, meter.id)),
    ]);
    const holder = await stripe.customers.create(customerParams({ test_clock: clock.id }));
    const live = await grant(stripe, holder, { expires_at: march.end });
    const voided = await stripe.billing.creditGrants.voidGrant((await grant(stripe, holder)).id);
    world = { clock, customer, calls: calls!, eurCalls: eurCalls!, fee: fee!, manyPrices, holder, live, voided };
  });

  const creditEventTypes = ['billing.credit_grant.created', 'billing.credit_grant.updated', 'billing.credit_balance_transaction.created'];

  /** The state every bad request must leave as it was: grants, ledgers and credit events. */
  async function everything() {
    const { customer, holder, live, voided } = world;
    const [grants, ledger, holderGrants, holderLedger, liveNow, voidedNow, allGrants, ...events] = await Promise.all([
      grantsOf(stripe, customer),
      ledgerOf(stripe, customer),
      grantsOf(stripe, holder),
      ledgerOf(stripe, holder),
      stripe.billing.creditGrants.retrieve(live.id),
      stripe.billing.creditGrants.retrieve(voided.id),
      stripe.billing.creditGrants.list({ limit: 100 }),
      ...creditEventTypes.map((type) => stripe.events.list({ type, limit: 100 })),
    ]);
    expect(grants).toEqual([]);
    expect(ledger).toEqual([]);
    return JSON.parse(
      JSON.stringify({
        holderGrants,
        holderLedger,
        liveNow,
        voidedNow,
        allGrants: allGrants.data.map((g) => g.id),
        events: events.map((page) => page.data.map((event) => event.id)),
      }),
    ) as unknown;
  }

  const create = (overrides: Partial<Stripe.Billing.CreditGrantCreateParams>) => stripe.billing.creditGrants.create(grantParams(world.customer, overrides));
  const scoped = (scope: unknown) => create({ applicability_config: { scope: loose(scope) } });
  const summary = (params: unknown) => stripe.billing.creditBalanceSummaries.retrieve(loose(params));
  const PRICE = 'applicability_config[scope][prices][0][id]';

  interface BadRequest {
    name: string;
    send: () => Promise<unknown>;
    status: 400 | 404;
    param: string | undefined;
    code?: string;
  }

  const cases: BadRequest[] = [
    // Amounts
    { name: 'an amount of zero', send: () => create({ amount: monetary(0) }), status: 400, param: 'amount[monetary][value]' },
    { name: 'a negative amount', send: () => create({ amount: monetary(-500) }), status: 400, param: 'amount[monetary][value]' },
    { name: 'a fraction of a cent', send: () => create({ amount: monetary(10.5) }), status: 400, param: 'amount[monetary][value]' },
    { name: 'an unknown currency', send: () => create({ amount: monetary(1000, 'usx') }), status: 400, param: 'amount[monetary][currency]' },
    {
      name: 'an amount of another type',
      send: () => create({ amount: loose({ type: 'custom_pricing_unit', monetary: { currency: 'usd', value: 1000 } }) }),
      status: 400,
      param: 'amount[type]',
    },
    { name: 'a monetary amount without its value', send: () => create({ amount: loose({ type: 'monetary' }) }), status: 400, param: 'amount[monetary]' },
    {
      name: 'no amount',
      send: () => stripe.billing.creditGrants.create(loose({ customer: world.customer.id, applicability_config: { scope: anyMetered() } })),
      status: 400,
      param: 'amount',
    },

    // Priority, category, times, name
    { name: 'priority 101', send: () => create({ priority: 101 }), status: 400, param: 'priority' },
    { name: 'priority -1', send: () => create({ priority: -1 }), status: 400, param: 'priority' },
    { name: 'an unknown category', send: () => create({ category: 'gift' }), status: 400, param: 'category' },
    {
      name: 'expires_at before effective_at',
      send: () => create({ effective_at: march.start + DAY, expires_at: march.start + HOUR }),
      status: 400,
      param: 'expires_at',
    },
    { name: 'expires_at equal to effective_at', send: () => create({ effective_at: march.start + DAY, expires_at: march.start + DAY }), status: 400, param: 'expires_at' },
    {
      name: "expires_at before the clock's time",
      send: () => create({ effective_at: march.start - DAY, expires_at: march.start - HOUR }),
      status: 400,
      param: 'expires_at',
    },
    { name: 'an effective_at that is not a time', send: () => create(loose({ effective_at: 'soon' })), status: 400, param: 'effective_at' },
    { name: 'a name over 100 characters', send: () => create({ name: 'x'.repeat(101) }), status: 400, param: 'name' },

    // Scope
    { name: 'an unknown price', send: () => scoped({ prices: [{ id: 'price_nope' }] }), status: 400, param: PRICE, code: 'resource_missing' },
    { name: 'a licensed price', send: () => scoped(onlyPrices(world.fee)), status: 400, param: PRICE },
    {
      name: "a price in another currency than the grant's",
      send: () => scoped(onlyPrices(world.calls, world.eurCalls)),
      status: 400,
      param: 'applicability_config[scope][prices][1][id]',
    },
    {
      // The prices are the parameter too many (a scope with neither names the missing price_type, below).
      name: 'both price_type and prices',
      send: () => scoped({ price_type: 'metered', prices: [{ id: world.calls.id }] }),
      status: 400,
      param: 'applicability_config[scope][prices]',
    },
    { name: 'a price_type other than metered', send: () => scoped({ price_type: 'licensed' }), status: 400, param: 'applicability_config[scope][price_type]' },
    { name: 'more than 20 prices', send: () => scoped(onlyPrices(...world.manyPrices)), status: 400, param: 'applicability_config[scope][prices]' },
    { name: 'a scope with an unknown parameter', send: () => scoped({ price_type: 'metered', colour: 'red' }), status: 400, param: 'applicability_config[scope][colour]' },
    // A form body drops an empty hash, so this sends no applicability_config at all.
    { name: 'an empty scope', send: () => scoped({}), status: 400, param: 'applicability_config' },
    {
      name: 'no applicability_config',
      send: () => stripe.billing.creditGrants.create(loose({ customer: world.customer.id, amount: monetary(1000) })),
      status: 400,
      param: 'applicability_config',
    },

    // Customer and unknown parameters
    {
      name: 'no customer',
      send: () => stripe.billing.creditGrants.create({ amount: monetary(1000), applicability_config: { scope: anyMetered() } }),
      status: 400,
      param: 'customer',
    },
    { name: 'an unknown customer', send: () => create({ customer: 'cus_nope' }), status: 400, param: 'customer', code: 'resource_missing' },
    { name: 'an unknown parameter', send: () => create(loose({ colour: 'red' })), status: 400, param: 'colour' },
    {
      name: 'an unknown amount parameter',
      send: () => create({ amount: loose({ type: 'monetary', monetary: { currency: 'usd', value: 1000, colour: 'red' } }) }),
      status: 400,
      param: 'amount[monetary][colour]',
    },

    // Changing grants
    {
      name: 'updating a voided grant',
      send: () => stripe.billing.creditGrants.update(world.voided.id, { metadata: { a: 'b' } }),
      status: 400,
      param: undefined,
      code: 'credit_grant_not_editable',
    },
    {
      name: 'expiring a voided grant',
      send: () => stripe.billing.creditGrants.expire(world.voided.id),
      status: 400,
      param: undefined,
      code: 'credit_grant_not_editable',
    },
    {
      name: 'voiding a voided grant',
      send: () => stripe.billing.creditGrants.voidGrant(world.voided.id),
      status: 400,
      param: undefined,
      code: 'credit_grant_not_editable',
    },
    {
      name: "an update with expires_at before the clock's time",
      send: () => stripe.billing.creditGrants.update(world.live.id, { expires_at: march.start - 1 }),
      status: 400,
      param: 'expires_at',
    },
    {
      name: 'an update of the priority',
      send: () => stripe.billing.creditGrants.update(world.live.id, loose({ priority: 1 })),
      status: 400,
      param: 'priority',
    },
    { name: 'expiring with an unknown parameter', send: () => stripe.billing.creditGrants.expire(world.live.id, loose({ colour: 'red' })), status: 400, param: 'colour' },
    { name: 'updating an unknown grant', send: () => stripe.billing.creditGrants.update('credgr_nope', { metadata: { a: 'b' } }), status: 404, param: 'id' },
    { name: 'voiding an unknown grant', send: () => stripe.billing.creditGrants.voidGrant('credgr_nope'), status: 404, param: 'id' },
    { name: 'retrieving an unknown grant', send: () => stripe.billing.creditGrants.retrieve('credgr_nope'), status: 404, param: 'id' },
    { name: 'listing the grants of an unknown customer', send: () => stripe.billing.creditGrants.list({ customer: 'cus_nope' }), status: 400, param: 'customer' },

    // The balance summary
    { name: 'a summary without a filter', send: () => summary({ customer: world.customer.id }), status: 400, param: 'filter' },
    {
      name: 'a summary with an unknown filter type',
      send: () => summary({ customer: world.customer.id, filter: { type: 'everything' } }),
      status: 400,
      param: 'filter[type]',
    },
    {
      name: 'a summary of nobody',
      send: () => summary({ filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } }),
      status: 400,
      param: 'customer',
    },
    {
      name: 'a summary of an unknown customer',
      send: () => summary({ customer: 'cus_nope', filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } }),
      status: 400,
      param: 'customer',
    },
    {
      name: 'a summary of a grant filter without the grant',
      send: () => summary({ customer: world.customer.id, filter: { type: 'credit_grant' } }),
      status: 400,
      param: 'filter[credit_grant]',
    },
    {
      name: 'a summary of an unknown grant',
      send: () => summary({ customer: world.customer.id, filter: { type: 'credit_grant', credit_grant: 'credgr_nope' } }),
      status: 400,
      param: 'filter[credit_grant]',
    },
    {
      name: "a summary of another customer's grant",
      send: () => summary({ customer: world.customer.id, filter: { type: 'credit_grant', credit_grant: world.live.id } }),
      status: 400,
      param: 'filter[credit_grant]',
    },
    {
      name: 'a summary scope with both price_type and prices',
      send: () =>
        summary({
          customer: world.customer.id,
          filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered', prices: [{ id: world.calls.id }] } },
        }),
      status: 400,
      param: 'filter[applicability_scope][prices]',
    },

    // The ledger
    { name: 'a ledger of nobody', send: () => stripe.billing.creditBalanceTransactions.list(), status: 400, param: 'customer' },
    {
      name: 'the ledger of an unknown customer',
      send: () => stripe.billing.creditBalanceTransactions.list({ customer: 'cus_nope' }),
      status: 400,
      param: 'customer',
    },
    { name: 'an unknown ledger entry', send: () => stripe.billing.creditBalanceTransactions.retrieve('cbtxn_nope'), status: 404, param: 'id' },
  ];

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('rejects $name ($status, param $param) and writes nothing', async ({ send, status, param, code }) => {
    const before = await everything();
    await expectStripeError(send(), Stripe.errors.StripeInvalidRequestError, {
      statusCode: status,
      rawType: 'invalid_request_error',
      param,
      ...(code === undefined ? {} : { code }),
    });
    expect(await everything()).toEqual(before);
  });

  // A form body cannot carry an empty hash or list (the SDK drops them); a JSON body can.
  it.each([
    { name: 'a scope with neither price_type nor prices', scope: {}, param: 'applicability_config[scope][price_type]' },
    { name: 'an empty list of prices', scope: { prices: [] }, param: 'applicability_config[scope][prices]' },
  ])('rejects $name sent as JSON (400, param $param) and writes nothing', async ({ scope, param }) => {
    const before = await everything();
    const body = JSON.stringify({ customer: world.customer.id, amount: monetary(1000), applicability_config: { scope } });
    const response = await rawRequest(stack, 'POST', '/v1/billing/credit_grants', {
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
      body,
    });
    expect(response).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', param } } });
    expect(await everything()).toEqual(before);
  });

  it('accepts the good request the cases above spoil, so each case fails for its own reason', async () => {
    const good = await create({ applicability_config: { scope: onlyPrices(...world.manyPrices.slice(0, 20)) }, expires_at: march.start + DAY });
    expect(good).toMatchObject({ customer: world.customer.id, amount: monetary(1000), effective_at: march.start });
    expect(good.applicability_config.scope.prices).toHaveLength(20);
    expect(await ledgerOf(stripe, world.customer)).toHaveLength(1);
    // The holder's grant in force can still change.
    expect(await stripe.billing.creditGrants.update(world.live.id, { metadata: { checked: 'yes' } })).toMatchObject({ metadata: { checked: 'yes' } });
  });
});
