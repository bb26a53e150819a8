/**
 * LLM token billing with Meterline: one `tokens` meter with dimensions `model` and `token_type`,
 * six prices (three models x input/output), 10 USD of prepaid credits, usage reported from
 * OpenAI-style `usage` objects, and the month billed on a test clock in seconds.
 *
 *   npm start                                   # in another terminal; it prints an API key
 *   KEY=sk_test_... npx tsx examples/llm-tokens.ts
 *
 * METERLINE_URL (default http://127.0.0.1:4242) points it at another stack. test/e2e/examples.test.ts
 * runs `llmTokenBilling` against a test stack, so this file stays true.
 */
import Stripe from 'stripe';

/** USD cents per token: 0.5 / 2, 3 / 15 and 15 / 75 USD per million input / output tokens. */
export const RATES = {
  'gpt-small': { input: '0.00005', output: '0.0002' },
  'gpt-medium': { input: '0.0003', output: '0.0015' },
  'gpt-large': { input: '0.0015', output: '0.0075' },
} as const;

/** March's API calls: what each call's response said in its `usage` object. */
export const CALLS = [
  { model: 'gpt-small', usage: { prompt_tokens: 1_500_000, completion_tokens: 300_000 } },
  { model: 'gpt-small', usage: { prompt_tokens: 500_000, completion_tokens: 200_000 } },
  { model: 'gpt-medium', usage: { prompt_tokens: 400_000, completion_tokens: 100_000 } },
  { model: 'gpt-large', usage: { prompt_tokens: 150_000, completion_tokens: 25_000 } },
  { model: 'gpt-large', usage: { prompt_tokens: 50_000, completion_tokens: 15_000 } },
  // A model with no price yet: not billed, and listed as unpriced usage on the invoice preview.
  { model: 'gpt-experimental', usage: { prompt_tokens: 1_234, completion_tokens: 0 } },
] as const;

/**
 * One price per model and token type ('gpt-large/output' -> price); each bills only the usage
 * whose dimension values match its conditions.
 */
export async function tokenPrices(stripe: Stripe, product: string, meter: string): Promise<Map<string, Stripe.Price>> {
  const prices = new Map<string, Stripe.Price>();
  for (const [model, rates] of Object.entries(RATES)) {
    for (const tokenType of ['input', 'output'] as const) {
      const price = await stripe.prices.create({
        product,
        currency: 'usd',
        nickname: `${model} ${tokenType} tokens`,
        unit_amount_decimal: rates[tokenType],
        recurring: {
          interval: 'month',
          usage_type: 'metered',
          meter,
          meter_segment_conditions: [
            { dimension: 'model', value: model },
            { dimension: 'token_type', value: tokenType },
          ],
        },
      } as unknown as Stripe.PriceCreateParams);
      prices.set(`${model}/${tokenType}`, price);
    }
  }
  return prices;
}

const utc = (month: number, day: number, hour = 0) => Date.UTC(2026, month - 1, day, hour) / 1000;

/** The whole story against `stripe`; `log` narrates it. Returns what it billed. */
export async function llmTokenBilling(stripe: Stripe, log: (line: string) => void = console.log) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const meter = await stripe.billing.meters.create({
    display_name: 'LLM tokens',
    event_name: `llm_tokens_${suffix}`,
    default_aggregation: { formula: 'sum' },
    // Meterline (Stripe's preview field): usage is kept per model and token type.
    dimension_payload_keys: ['model', 'token_type'],
  } as Stripe.Billing.MeterCreateParams);
  const product = await stripe.products.create({ name: 'LLM API' });

  const prices = [...(await tokenPrices(stripe, product.id, meter.id)).values()];

  // A customer on a test clock frozen at March 1, subscribed to the six prices.
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: utc(3, 1), name: 'LLM example' });
  const customer = await stripe.customers.create({ name: 'Hypernian', email: 'billing@hypernian.example', test_clock: clock.id });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: prices.map((price) => ({ price: price.id })) });

  // 10 USD of credits per user, for metered usage.
  await stripe.billing.creditGrants.create({
    customer: customer.id,
    name: 'Welcome credits',
    amount: { type: 'monetary', monetary: { currency: 'usd', value: 1000 } },
    applicability_config: { scope: { price_type: 'metered' } },
    category: 'promotional',
  });

  // March 20: each call's `usage` object becomes two meter events, input and output tokens.
  const march20 = utc(3, 20);
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: march20 + 3600 });
  for (const [i, call] of CALLS.entries()) {
    for (const [tokenType, tokens] of [['input', call.usage.prompt_tokens], ['output', call.usage.completion_tokens]] as const) {
      if (tokens === 0) continue;
      await stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        identifier: `call_${suffix}_${i}_${tokenType}`, // the request id: counted once, however often sent
        timestamp: march20,
        payload: { stripe_customer_id: customer.id, value: String(tokens), model: call.model, token_type: tokenType },
      });
    }
  }
  const sent = CALLS.reduce((n, call) => n + call.usage.prompt_tokens + call.usage.completion_tokens, 0);
  await untilCounted(stripe, meter.id, customer.id, sent, utc(3, 1), utc(4, 1));

  // Input tokens per model so far, and what the month's invoice will not bill.
  const byModel = await stripe.billing.meters.listEventSummaries(meter.id, {
    customer: customer.id,
    start_time: utc(3, 1),
    end_time: utc(4, 1),
    dimension_filters: { token_type: 'input' },
    dimension_group_by_keys: ['model'],
  } as Stripe.Billing.MeterListEventSummariesParams);
  for (const s of byModel.data) log(`input tokens ${JSON.stringify((s as unknown as { dimensions: object }).dimensions)}: ${s.aggregated_value}`);
  const preview = (await stripe.invoices.createPreview({ subscription: subscription.id })) as unknown as Stripe.Invoice & {
    unpriced_usage: { meter: string; dimensions: Record<string, string>; quantity: number }[];
  };
  for (const u of preview.unpriced_usage) log(`unpriced: ${u.quantity} tokens of ${JSON.stringify(u.dimensions)}`);

  // April 1 plus the grace period: March is invoiced, the credits pay 10 USD of it, it finalizes.
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: utc(4, 1, 2) });
  const invoices = await stripe.invoices.list({ subscription: subscription.id, limit: 10 });
  const march = invoices.data.find((invoice) => invoice.period_end === utc(4, 1))!;
  for (const line of march.lines.data) log(`${line.description}: ${line.amount} cents`);
  const credited = (march.total_pretax_credit_amounts ?? []).reduce((n, c) => n + c.amount, 0);
  log(`subtotal ${march.subtotal}, credits ${credited}, amount due ${march.amount_due} (${march.status})`);
  return { meter, prices, customer, subscription, invoice: march, unpriced: preview.unpriced_usage, inputsByModel: byModel.data };
}

/** Waits until the consumer has counted `total` (events are queued, then consumed within a second or so). */
async function untilCounted(stripe: Stripe, meter: string, customer: string, total: number, start: number, end: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const page = await stripe.billing.meters.listEventSummaries(meter, { customer, start_time: start, end_time: end });
    if (page.data[0]?.aggregated_value === total) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`usage did not reach ${total} tokens`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = new URL(process.env.METERLINE_URL ?? 'http://127.0.0.1:4242');
  const key = process.env.KEY ?? process.env.METERLINE_API_KEY;
  if (!key) throw new Error('Set KEY to the API key `npm start` printed.');
  const stripe = new Stripe(key, { host: url.hostname, port: Number(url.port || 80), protocol: url.protocol === 'https:' ? 'https' : 'http' });
  await llmTokenBilling(stripe);
}
