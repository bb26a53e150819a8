import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { DAY } from '../fixtures/stripe';
import { advance, afterGrace, april, GRACE, march, may, june, utc } from '../fixtures/billing';
import { balances, grant, llmCustomer, monetary, tokens } from '../fixtures/credits';
import { creditAlert, eventsOf, triggersOf } from '../fixtures/alerts';
import { keysFor } from '../../lib/store/keys';

const keys = keysFor('test');

describe('credit balance alerts', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  it('fires once when invoices spend the credits down to the threshold, not before, with the available balance as value', async () => {
    const llm = await llmCustomer(stripe, march.start, { fee: 0 });
    await grant(stripe, llm.customer, { amount: monetary(1000) });
    const low = await creditAlert(stripe, llm.customer, 300);
    // Already below its threshold when created: fires on the next change of the balance, as Stripe's alerts do.
    const already = await creditAlert(stripe, llm.customer, 5000);
    const otherCurrency = await creditAlert(stripe, llm.customer, 5000, 'eur');
    expect(low).toMatchObject({
      object: 'billing.alert',
      alert_type: 'credit_balance_threshold',
      status: 'active',
      usage_threshold: null,
      credit_balance_threshold: { filters: [{ type: 'customer', customer: llm.customer.id }], lte: { balance_type: 'monetary', monetary: { currency: 'usd', value: 300 } } },
    });
    expect(await triggersOf(stripe, already)).toEqual([]);

    // March: 100 input tokens = 300 cents of credits spent, 700 left.
    await advance(stripe, llm.clock, utc(2026, 3, 20) + DAY);
    await tokens(stack, llm, 100, 0, utc(2026, 3, 20));
    await advance(stripe, llm.clock, afterGrace(april.start));
    expect(await balances(stripe, llm.customer)).toEqual([['usd', 700, 700]]);
    expect(await triggersOf(stripe, low)).toEqual([]);
    expect((await triggersOf(stripe, already)).map((t) => [t.customer, t.value, t.created])).toEqual([[llm.customer.id, 700, april.start + GRACE]]);

    // April: 150 input tokens = 450 cents, 250 left: at or below 300.
    await advance(stripe, llm.clock, utc(2026, 4, 11));
    await tokens(stack, llm, 150, 0, utc(2026, 4, 10));
    await advance(stripe, llm.clock, afterGrace(may.start));
    expect(await balances(stripe, llm.customer)).toEqual([['usd', 250, 250]]);
    const fired = await triggersOf(stripe, low);
    expect(fired).toEqual([
      {
        object: 'billing.alert_triggered',
        alert: expect.objectContaining({ id: low.id }),
        created: may.start + GRACE,
        customer: llm.customer.id,
        livemode: false,
        value: 250,
      },
    ]);

    // May: lower still; neither alert fires again, and the EUR alert never fires: no EUR balance changed.
    await advance(stripe, llm.clock, utc(2026, 5, 11));
    await tokens(stack, llm, 50, 0, utc(2026, 5, 10));
    await advance(stripe, llm.clock, afterGrace(june.start));
    expect(await balances(stripe, llm.customer)).toEqual([['usd', 100, 100]]);
    expect(await triggersOf(stripe, low)).toHaveLength(1);
    expect(await triggersOf(stripe, already)).toHaveLength(1);
    expect(await triggersOf(stripe, otherCurrency)).toEqual([]);
  });

  it('does not fire while deactivated, and fires on the next change once activated', async () => {
    const customer = await stripe.customers.create({ name: 'paused' });
    const first = await grant(stripe, customer, { amount: monetary(500) });
    const alert = await creditAlert(stripe, customer, 100);
    await stripe.billing.alerts.deactivate(alert.id);
    await stripe.billing.creditGrants.expire(first.id);
    expect(await triggersOf(stripe, alert)).toEqual([]);
    await stripe.billing.alerts.activate(alert.id);
    await grant(stripe, customer, { amount: monetary(50) });
    expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([50]);
  });

  it('sees a crossing made by two grants of the same customer expiring at the same moment, and fires once', async () => {
    const runs = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const customer = await stripe.customers.create({ name: `concurrent ${i}` });
        const grants = await Promise.all([grant(stripe, customer, { amount: monetary(500) }), grant(stripe, customer, { amount: monetary(500) })]);
        const alert = await creditAlert(stripe, customer, 0);
        // Each expiry alone leaves 500: only the two together reach 0.
        await Promise.all(grants.map((g) => stripe.billing.creditGrants.expire(g.id)));
        return { customer, alert };
      }),
    );
    for (const { customer, alert } of runs) {
      expect(await balances(stripe, customer)).toEqual([['usd', 0, 0]]);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([0]);
    }
    const all = await eventsOf(stripe, 'billing.alert.triggered');
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('counts a grant created a moment ago, before the index that lists grants has it', async () => {
    const customer = await stripe.customers.create({ name: 'index lag' });
    const first = await grant(stripe, customer, { amount: monetary(500) });
    const alert = await creditAlert(stripe, customer, 100);
    const second = await grant(stripe, customer, { amount: monetary(500) });
    // What a global secondary index lagging on AWS looks like: the new grant not in byOwner yet.
    await stack.services.db.send(new UpdateCommand({ TableName: stack.services.config.mainTableName, Key: keys.object('credit_grant', second.id), UpdateExpression: 'REMOVE owner_pk, owner_sk' }));

    // 500 of 1000 left: far above 100 (with the second grant missed, 0 would fire the alert).
    await stripe.billing.creditGrants.expire(first.id);
    expect(await balances(stripe, customer)).toEqual([['usd', 500, 500]]);
    expect(await triggersOf(stripe, alert)).toEqual([]);
  });
});
