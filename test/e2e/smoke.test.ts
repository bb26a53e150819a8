import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

describe('the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('records a v1 meter event and summarizes it through the stripe SDK', async () => {
    const customer = await stack.stripe.customers.create({ email: 'ada@example.com' });
    const meter = await stack.stripe.billing.meters.create({
      display_name: 'Tokens',
      event_name: 'tokens_smoke',
      default_aggregation: { formula: 'sum' },
    });
    const now = Math.floor(Date.now() / 1000);
    await stack.stripe.billing.meterEvents.create({
      event_name: 'tokens_smoke',
      payload: { stripe_customer_id: customer.id, value: '2.25' },
      timestamp: now,
    });
    expect(await stack.drain()).toBe(true);
    const start = Math.floor(now / 60) * 60;
    const summaries = await stack.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: start,
      end_time: start + 60,
    });
    expect(summaries.data.map((s) => s.aggregated_value)).toEqual([2.25]);
  });
});
