import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keysFor } from '../../lib/store/keys';

const keys = keysFor('test');
import { useStack } from '../support/stack';
import { expectInvalid } from '../fixtures/stripe';
import { advance, clockedCustomer, invoicesOf, item, licensedPrice, subscriptionParams, utc } from '../fixtures/billing';

const JAN_1 = utc(2026, 1, 1);
const FEB_1 = utc(2026, 2, 1);

describe('advancing a test clock when an advance fails', () => {
  let wallMs = Date.now();
  let failNextStep = false;
  const { stack, stripe } = useStack({
    nowMs: () => wallMs,
    invoiceGraceSeconds: 0,
    beforeBillingCommit: async () => {
      if (!failNextStep) return;
      failNextStep = false;
      throw new Error('worker crashed');
    },
  });

  /** A customer on a clock at Jan 1 with a 10.00 monthly fee. */
  async function subscribed() {
    const world = await clockedCustomer(stripe, JAN_1);
    const fee = await licensedPrice(stripe, world.product.id, { unit_amount: 1000 });
    const subscription = await stripe.subscriptions.create(subscriptionParams(world.customer, [item(fee, 1)]));
    return { ...world, subscription };
  }

  it('reports internal_failure when a billing step fails, and a second advance to the same time finishes the work', async () => {
    const { clock, subscription } = await subscribed();
    failNextStep = true;
    await expect(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB_1 + 60 })).rejects.toMatchObject({ statusCode: 500 });
    expect(await stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({ status: 'internal_failure', frozen_time: FEB_1 + 60 });
    expect(await invoicesOf(stripe, subscription)).toHaveLength(1);

    await advance(stripe, clock, FEB_1 + 60);
    const invoices = await invoicesOf(stripe, subscription);
    expect(invoices.map((invoice) => [invoice.billing_reason, invoice.status, invoice.total])).toEqual([
      ['subscription_create', 'open', 1000],
      ['subscription_cycle', 'open', 1000],
    ]);
  });

  it('refuses a second advance while one runs, and resumes one that was cut off once it is stale', async () => {
    const { clock, subscription } = await subscribed();
    // What a request killed by its timeout leaves behind: the clock advancing, nothing billed.
    const cutOff = { ...clock, frozen_time: FEB_1 + 60, status: 'advancing', status_details: { advancing: { target_frozen_time: FEB_1 + 60 } } };
    await stack.services.db.send(
      new PutCommand({
        TableName: stack.services.config.mainTableName,
        Item: { ...keys.object('test_clock', clock.id), ...keys.kindList('test_clock', clock.created, clock.id), object: cutOff, advancing_since: wallMs },
      }),
    );
    await expectInvalid(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB_1 + 120 }), undefined, 'test_clock_advancing');

    wallMs += 2 * 60_000;
    await advance(stripe, clock, FEB_1 + 60);
    expect((await invoicesOf(stripe, subscription)).map((invoice) => invoice.billing_reason)).toEqual(['subscription_create', 'subscription_cycle']);
  });
});
