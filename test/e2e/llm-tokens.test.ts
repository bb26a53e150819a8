import qs from 'qs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { DAY, drained, expectInvalid, loose, unique } from '../fixtures/stripe';
import { advance, afterGrace, april, clockedCustomer, GRACE, invoicesOf, item, march, subscriptionParams, utc } from '../fixtures/billing';
import { creditedLines, expectBalancesAreTheLedger, expectedTotals, grant, totals } from '../fixtures/credits';
import type { MeterUsageAnalytics } from '../../lib/metering/meter-usage-analytics';
import { CALLS, RATES, tokenPrices } from '../../examples/llm-tokens';

type Conditioned = Stripe.Price & { recurring: Stripe.Price.Recurring & { meter_segment_conditions?: { dimension: string; value: string }[] } };
type Preview = Stripe.Invoice & { unpriced_usage: { meter: string; dimensions: Record<string, string>; quantity: number; quantity_decimal: string }[] };

type Model = keyof typeof RATES;
const MODELS = Object.keys(RATES) as Model[];

/** What each model's calls add up to in March, as OpenAI-style `usage` objects (examples/llm-tokens.ts's calls, priced ones). */
const MARCH_USAGE = Object.fromEntries(MODELS.map((model) => [model, CALLS.filter((call) => call.model === model).map((call) => call.usage)])) as Record<
  Model,
  { prompt_tokens: number; completion_tokens: number }[]
>;

describe('LLM token billing: one tokens meter with dimensions model and token_type, six prices', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });
  const inMarch = utc(2026, 3, 20);

  async function hypernian() {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await stripe.billing.meters.create(
      loose({ display_name: 'Tokens', event_name: unique('tokens'), default_aggregation: { formula: 'sum' }, dimension_payload_keys: ['model', 'token_type'] }),
    );
    const prices = (await tokenPrices(stripe, product.id, meter.id)) as Map<string, Conditioned>;
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [...prices.values()].map((price) => item(price))));
    return { clock, customer, product, meter, prices, subscription };
  }

  /** An API call's `usage` object as two meter events: input and output tokens of `model`. */
  const sendUsage = async (meter: { event_name: string }, customer: string, model: string, usage: { prompt_tokens: number; completion_tokens: number }, at: number) => {
    for (const [tokenType, value] of [['input', usage.prompt_tokens], ['output', usage.completion_tokens]] as const) {
      await stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        timestamp: at,
        identifier: unique('call'),
        payload: { stripe_customer_id: customer, value: String(value), model, token_type: tokenType },
      });
    }
  };

  it('bills each model and token type at its own rate, with credits, and reports unpriced usage', async () => {
    const llm = await hypernian();
    const { meter, customer } = llm;
    expect(llm.prices.get('gpt-large/output')!.recurring.meter_segment_conditions).toEqual([
      { dimension: 'model', value: 'gpt-large' },
      { dimension: 'token_type', value: 'output' },
    ]);
    const welcome = await grant(stripe, customer);
    await advance(stripe, llm.clock, inMarch + DAY);
    for (const model of MODELS) for (const call of MARCH_USAGE[model]) await sendUsage(meter, customer.id, model, call, inMarch);
    // A model nobody priced: never billed, never lost.
    await sendUsage(meter, customer.id, 'experimental', { prompt_tokens: 1234, completion_tokens: 0 }, inMarch);
    await drained(stack);

    // Before the period closes, the preview names the unpriced usage.
    const preview = (await stripe.invoices.createPreview({ subscription: llm.subscription.id })) as unknown as Preview;
    expect(preview.unpriced_usage).toEqual([
      { meter: meter.id, dimensions: { model: 'experimental', token_type: 'input' }, quantity: 1234, quantity_decimal: '1234' },
    ]);

    // Summaries: input tokens per model; the analytics API says the same.
    const page = await stripe.billing.meters.listEventSummaries(
      meter.id,
      loose({ customer: customer.id, start_time: march.start, end_time: april.start, dimension_filters: { token_type: 'input' }, dimension_group_by_keys: ['model'] }),
    );
    const inputs = page.data.map((s) => [(s as unknown as { dimensions: Record<string, string> }).dimensions.model, s.aggregated_value]);
    expect(inputs).toEqual([
      ['experimental', 1234],
      ['gpt-large', 200_000],
      ['gpt-medium', 400_000],
      ['gpt-small', 2_000_000],
    ]);
    const analytics = (await stripe.rawRequest(
      'GET',
      `/v1/billing/analytics/meter_usage?${qs.stringify({
        customer: customer.id,
        starts_at: march.start,
        ends_at: april.start,
        meters: [{ meter: meter.id, dimension_filters: { token_type: 'input' }, dimension_group_by_keys: ['model'] }],
      })}`,
      null as never,
    )) as unknown as MeterUsageAnalytics;
    expect(analytics.rows.data.map((r) => [r.dimensions.model, r.value])).toEqual(inputs);

    await advance(stripe, llm.clock, afterGrace(april.start));
    const [first, cycle] = await invoicesOf(stripe, llm.subscription);
    expect(totals(first!)).toEqual(expectedTotals(0, 0));

    // tokens x rate, exactly: small 100 + 100, medium 120 + 150, large 300 + 300 cents.
    const expected: Record<string, number> = {
      'gpt-small/input': 100,
      'gpt-small/output': 100,
      'gpt-medium/input': 120,
      'gpt-medium/output': 150,
      'gpt-large/input': 300,
      'gpt-large/output': 300,
    };
    const lines = cycle!.lines.data;
    expect(lines).toHaveLength(6);
    for (const [key, price] of llm.prices) {
      const line = lines.find((l) => l.pricing?.price_details?.price === price.id)!;
      const [model, tokenType] = key.split('/') as [Model, string];
      const tokens = MARCH_USAGE[model].reduce((n, call) => n + (tokenType === 'input' ? call.prompt_tokens : call.completion_tokens), 0);
      expect([key, line.amount, line.quantity]).toEqual([key, expected[key], tokens]);
      expect(line.description).toBe(`${tokens} × ${model} ${tokenType} tokens (model: ${model}, token_type: ${tokenType})`);
    }
    // 10.70 USD of usage; the 10 USD grant pays 10.
    expect(totals(cycle!)).toEqual(expectedTotals(1070, 1000));
    const credited = (await creditedLines(stripe, cycle!)).flatMap(([, , credits]) => credits as [string, number][]);
    expect(credited.reduce((n, [grantId, amount]) => n + (grantId === welcome.id ? amount : 0), 0)).toBe(1000);
    await expectBalancesAreTheLedger(stripe, customer);
  });

  it('refuses prices that would bill the same usage twice, and conditions on what is not a dimension', async () => {
    const llm = await hypernian();
    const { meter, product, customer } = llm;
    const metered = (recurring: Record<string, unknown>) =>
      stripe.prices.create(loose({ currency: 'usd', product: product.id, unit_amount: 1, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id, ...recurring } }));

    await expectInvalid(metered({ meter_segment_conditions: [{ dimension: 'region', value: 'eu' }] }), 'recurring[meter_segment_conditions][0][dimension]');
    await expectInvalid(
      metered({ meter_segment_conditions: [{ dimension: 'model', value: 'a' }, { dimension: 'model', value: 'b' }] }),
      'recurring[meter_segment_conditions][1][dimension]',
    );
    await expectInvalid(
      stripe.prices.create(loose({ currency: 'usd', product: product.id, unit_amount: 1, recurring: { interval: 'month', meter_segment_conditions: [{ dimension: 'model', value: 'a' }] } })),
      'recurring[meter_segment_conditions]',
    );

    // All large-model tokens overlap the large input and output prices.
    const allLarge = await metered({ meter_segment_conditions: [{ dimension: 'model', value: 'gpt-large' }] });
    const whole = await metered({});
    const items = [...llm.prices.values()].map((price) => item(price));
    await expectInvalid(stripe.subscriptions.create(subscriptionParams(customer, [...items, item(allLarge)])), 'items[6][price]');
    await expectInvalid(stripe.subscriptions.create(subscriptionParams(customer, [...items, item(whole)])), 'items[6][price]');
    await expectInvalid(stripe.subscriptions.update(llm.subscription.id, { items: [item(allLarge)] }), 'items[0][price]');
  });
});
