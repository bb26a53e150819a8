import { mkdirSync } from 'node:fs';
import type { Browser, Locator } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { advance, clockedCustomer, item, march, subscriptionParams } from '../fixtures/billing';
import { DAY, drained, loose, MINUTE, nowSeconds, unique } from '../fixtures/stripe';
import { checkAndCapture, launchChromium, SCREENSHOTS, signedIn } from './support';

type DimensionedMeter = Stripe.Billing.Meter & { dimension_payload_keys: string[] };

/** The cells of a table's body rows and of its footer row, as the page shows them. */
async function cellsOf(table: Locator) {
  const texts = (rows: Locator) => rows.evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent?.trim() ?? '')));
  return { body: await texts(table.locator('tbody tr')), foot: await texts(table.locator('tfoot tr')) };
}

describe('usage broken down by dimension in the console (a real browser)', () => {
  const { stack, stripe } = useStack();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const tokenMeter = () =>
    stripe.billing.meters.create(
      loose({ display_name: 'LLM tokens', event_name: unique('llm_tokens'), default_aggregation: { formula: 'sum' }, dimension_payload_keys: ['model', 'token_type'] }),
    ) as unknown as Promise<DimensionedMeter>;

  /** Sends `value` of `meter` for `customer` a few minutes before `now`, with the dimension values `dims`. */
  const use = (meter: DimensionedMeter, customer: string, value: string, minutesAgo: number, dims: Record<string, string>, now = nowSeconds()) =>
    stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      identifier: unique('use'),
      timestamp: now - minutesAgo * MINUTE,
      payload: { stripe_customer_id: customer, value, ...dims },
    });

  it('shows a customer\'s usage per model and per token type on the meter page and the customer page, with exact totals', async () => {
    const meter = await tokenMeter();
    const customer = await stripe.customers.create({ name: 'Grace Tokens', email: `${unique('grace')}@example.com` });
    const other = await stripe.customers.create({ name: 'Other Tokens', email: `${unique('other')}@example.com` });
    const product = await stripe.products.create({ name: 'LLM API' });
    const price = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('0.01'),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      nickname: 'All tokens',
    });
    await stripe.subscriptions.create(subscriptionParams(customer, [item(price)]));
    // Two models and two token types, one event without a model; another customer's usage counts nowhere here.
    await use(meter, customer.id, '1200', 50, { model: 'model-a', token_type: 'input' });
    await use(meter, customer.id, '300.5', 40, { model: 'model-a', token_type: 'output' });
    await use(meter, customer.id, '45', 30, { model: 'model-b', token_type: 'input' });
    await use(meter, customer.id, '5', 20, { model: 'model-b', token_type: 'output' });
    await use(meter, customer.id, '7', 10, { token_type: 'input' });
    await use(meter, other.id, '999', 10, { model: 'model-c', token_type: 'input' });
    await drained(stack);

    const byModel = { body: [['model-a', '1,500.5'], ['model-b', '50'], ['(no model)', '7']], foot: [['Total', '1,557.5']] };
    const byTokenType = { body: [['input', '1,252'], ['output', '305.5']], foot: [['Total', '1,557.5']] };

    const page = await signedIn(browser, stack.url, stack.secretKey);
    await page.goto(`${stack.url}/#/meters/${meter.id}`);
    await page.getByRole('heading', { name: 'LLM tokens' }).waitFor();
    expect(await page.getByText('Dimensions:').textContent()).toContain('Dimensions: model, token_type.');
    // Across customers (rollups, which have no dimensions) there is no breakdown.
    expect(await page.getByLabel('Break down by').count()).toBe(0);
    await page.getByLabel('Usage of').selectOption(customer.id);
    await expect.poll(() => page.getByTestId('range-total').textContent()).toBe('1,557.5');
    await page.getByLabel('Break down by').selectOption('model');
    const meterTable = page.getByRole('table', { name: 'LLM tokens usage by model' });
    await meterTable.waitFor();
    expect(await cellsOf(meterTable)).toEqual(byModel);
    expect(await page.getByTestId('range-total').textContent()).toBe('1,557.5');
    await page.getByRole('img', { name: 'LLM tokens per bucket by model' }).locator('canvas').waitFor();
    await checkAndCapture(page, 'meter-dimensions');
    await page.getByLabel('Break down by').selectOption('token_type');
    const typeTable = page.getByRole('table', { name: 'LLM tokens usage by token_type' });
    await typeTable.waitFor();
    expect(await cellsOf(typeTable)).toEqual(byTokenType);
    // The last 30 days, in day buckets: the same totals.
    const daily = page.waitForResponse((r) => r.url().includes('/v1/billing/analytics/meter_usage') && r.url().includes('value_grouping_window=day'));
    await page.getByRole('button', { name: '30d', exact: true }).click();
    expect((await daily).status()).toBe(200);
    await page.getByRole('img', { name: 'LLM tokens per bucket by token_type' }).locator('canvas').waitFor();
    expect(await cellsOf(typeTable)).toEqual(byTokenType);
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.goto(`${stack.url}/#/customers/${customer.id}`);
    const usage = page.getByRole('region', { name: 'LLM tokens' });
    await usage.getByText('Total over the range: 1,557.5').waitFor();
    await usage.getByLabel('Break down by').selectOption('model');
    const customerTable = usage.getByRole('table', { name: 'LLM tokens usage by model' });
    await customerTable.waitFor();
    expect(await cellsOf(customerTable)).toEqual(byModel);
    await usage.getByRole('img', { name: 'LLM tokens per bucket by model' }).locator('canvas').waitFor();
    await checkAndCapture(page, 'customer-dimensions');
    await usage.getByLabel('Break down by').selectOption('token_type');
    expect(await cellsOf(await waitedFor(usage.getByRole('table', { name: 'LLM tokens usage by token_type' })))).toEqual(byTokenType);
    await page.context().close();
  });

  it('lists on the customer\'s upcoming invoice the usage of a model no price bills, as unpriced', async () => {
    // A customer on a clock in March: its usage is at the clock's time, and so are the ranges of its page.
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await tokenMeter();
    const modelA = await stripe.prices.create(
      loose({
        product: product.id,
        currency: 'usd',
        nickname: 'Model a tokens',
        unit_amount_decimal: '0.5',
        recurring: { interval: 'month', usage_type: 'metered', meter: meter.id, meter_segment_conditions: [{ dimension: 'model', value: 'a' }] },
      }),
    );
    await stripe.subscriptions.create(subscriptionParams(customer, [item(modelA)]));
    const now = march.start + 10 * DAY;
    await advance(stripe, clock, now);
    await use(meter, customer.id, '800', 30, { model: 'a', token_type: 'input' }, now);
    await use(meter, customer.id, '120', 20, { model: 'b', token_type: 'input' }, now);
    await use(meter, customer.id, '30.5', 10, { model: 'b', token_type: 'output' }, now);
    await drained(stack);

    const page = await signedIn(browser, stack.url, stack.secretKey);
    await page.goto(`${stack.url}/#/customers/${customer.id}`);
    const soFar = page.getByRole('region', { name: 'This period so far' });
    await soFar.waitFor();
    // Model a is billed; model b's usage is listed apart, exactly, and billed nowhere.
    const lines = soFar.getByRole('table').first();
    expect(await lines.locator('tbody tr').count()).toBe(1);
    expect(await lines.locator('tbody tr').textContent()).toContain('800');
    expect(await lines.locator('tbody tr').textContent()).toContain('$4.00');
    await soFar.getByRole('heading', { name: 'Unpriced usage (not billed)' }).waitFor();
    const unpriced = await cellsOf(soFar.getByRole('table', { name: 'Unpriced usage (not billed)' }));
    expect(unpriced.body.sort()).toEqual([
      ['LLM tokens', 'model: b, token_type: input', '120'],
      ['LLM tokens', 'model: b, token_type: output', '30.5'],
    ]);
    // The usage section charts the clock's March, broken down by model.
    const usage = page.getByRole('region', { name: 'LLM tokens' });
    await usage.getByLabel('Break down by').selectOption('model');
    const byModel = usage.getByRole('table', { name: 'LLM tokens usage by model' });
    await byModel.waitFor();
    expect(await cellsOf(byModel)).toEqual({ body: [['a', '800'], ['b', '150.5']], foot: [['Total', '950.5']] });
    await checkAndCapture(page, 'customer-unpriced');
    await page.context().close();
  });
});

/** `locator` once it is on the page. */
async function waitedFor(locator: Locator): Promise<Locator> {
  await locator.waitFor();
  return locator;
}
