import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Stripe from 'stripe';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { GRACE, item, subscriptionParams } from '../fixtures/billing';
import { drained, nowSeconds, unique } from '../fixtures/stripe';
import { monetary } from '../fixtures/credits';

/** Debian's Chromium (`.ci/run` installs it): test tools cannot download a browser here. */
const CHROMIUM = process.env.METERLINE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(process.cwd(), 'test-results', 'console');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const result = (await page.evaluate('axe.run()')) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
}

describe('the console in a real browser', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE, usageRollup: true });
  let browser: Browser;
  const checked: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh tab signed in with `key`; axe is injected by the test, so the page's CSP is bypassed for that alone. */
  async function signedIn(key: string): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  /**
   * The hosted page of `invoice` in a fresh tab without a key and with its CSP enforced: it shows
   * the amount due, passes axe, and printed on A4 and on Letter it keeps every line and the amount
   * due on one page, nothing wider than the paper.
   */
  async function checkHostedPage(invoice: Stripe.Invoice) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => message.type() === 'error' && blocked.push(message.text()));
    await page.goto(invoice.hosted_invoice_url!);
    await page.getByRole('heading', { name: /Invoice/ }).waitFor();
    expect(await page.locator('.due-line').textContent()).toContain('due');
    expect(await accessibilityViolationsOf(page)).toEqual([]);
    expect(blocked).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'hosted-invoice.png'), fullPage: true });
    for (const format of ['A4', 'Letter'] as const) {
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format, printBackground: true });
      const pages = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8').split('\f').filter((p) => p.trim());
      expect(pages, format).toHaveLength(1);
      for (const line of invoice.lines.data) expect(pages[0], format).toContain(`$${(line.amount / 100).toFixed(2)}`);
      expect(pages[0]).toContain('Amount due');
      // Nothing wider than the paper's printable width (A4: 210 mm, Letter: 8.5 in; 14 mm margins each side).
      const printable = Math.floor(((format === 'A4' ? 210 : 215.9) - 28) * (96 / 25.4));
      await page.setViewportSize({ width: printable, height: 900 });
      expect(await page.evaluate('document.documentElement.scrollWidth'), format).toBeLessThanOrEqual(printable);
      await page.emulateMedia({ media: 'screen' });
    }
    await context.close();
  }

  /** axe on a page whose CSP forbids injecting it: run in a second tab of the same HTML with CSP bypassed. */
  async function accessibilityViolationsOf(page: Page) {
    const relaxed = await browser.newContext({ bypassCSP: true });
    const copy = await relaxed.newPage();
    await copy.setContent(await page.content());
    const violations = await accessibilityViolations(copy);
    await relaxed.close();
    return violations;
  }

  /** Opens a console route, waits for `ready`, checks accessibility and saves a screenshot. */
  async function visit(page: Page, hash: string, ready: () => Promise<unknown>, name: string) {
    await page.goto(`${stack.url}/#${hash}`);
    await ready();
    expect(await accessibilityViolations(page), `${name}: axe`).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    checked.push(name);
  }

  it('serves the console with a strict Content-Security-Policy and keeps the key in sessionStorage only', async () => {
    const response = await fetch(`${stack.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await signedIn(stack.secretKey);
    expect(await page.getByRole('status').first().textContent()).toBe('Test mode');
    const storage = await page.evaluate("({ session: sessionStorage.getItem('meterline.key'), local: localStorage.length, url: location.href })");
    expect(storage).toEqual({ session: stack.secretKey, local: 0, url: expect.not.stringContaining(stack.secretKey) });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('meterline.key')")).toBeNull();
    await page.context().close();
  });

  it('shows usage, bills a period advanced from the console with its credit applied, and restores the credit when the invoice is voided there', async () => {
    // A customer on a clock two hours back, so that its usage falls in the meter page's last 24 h.
    const start = Math.floor(nowSeconds() / 3600) * 3600 - 2 * 3600;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start, name: 'Console story' });
    const customer = await stripe.customers.create({ name: 'Ada Console', email: `${unique('ada')}@example.com`, test_clock: clock.id });
    const meter = await stripe.billing.meters.create({ display_name: 'Tokens', event_name: unique('tokens'), default_aggregation: { formula: 'sum' } });
    await stripe.billing.meters.create({ display_name: 'Requests', event_name: unique('requests'), default_aggregation: { formula: 'count' } });
    const product = await stripe.products.create({ name: 'API' });
    const price = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('2.5'),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      nickname: 'Tokens',
    });
    const grant = await stripe.billing.creditGrants.create({
      customer: customer.id,
      name: 'Welcome credits',
      category: 'paid',
      amount: monetary(500),
      applicability_config: { scope: { price_type: 'metered' } },
    });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(price)]));
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 3600 });
    for (const [value, at] of [['1200', start], ['34.5', start + 600]] as const) {
      await stripe.billing.meterEvents.create({ event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value }, timestamp: at, identifier: unique('use') });
    }
    await drained(stack);

    const page = await signedIn(stack.secretKey);
    await visit(page, '/', () => page.getByRole('heading', { name: 'Meter error reports' }).waitFor(), 'home');
    // The subscription's first invoice (nothing used yet) was finalized this month.
    const usdRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'USD', exact: true }) });
    expect(await usdRow.getByRole('cell').nth(1).textContent()).toMatch(/^\$0\.00 \(\d+ invoices?\)$/);
    // The busiest meters of the last 30 days, over all customers, with their chart.
    const busiest = page.getByRole('table', { name: 'Busiest meters' });
    expect(await busiest.getByRole('row').filter({ has: page.locator(`a[href="#/meters/${meter.id}"]`) }).textContent()).toContain('1,234.5');
    await page.locator('.chart canvas').waitFor();
    await visit(page, '/customers', () => page.getByRole('link', { name: 'Ada Console' }).waitFor(), 'customers');
    await page.getByLabel('Search by email').fill(customer.email!);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Ada Console' }).waitFor();
    await visit(page, '/meters', () => page.getByRole('link', { name: 'Tokens' }).waitFor(), 'meters');
    await visit(page, `/meters/${meter.id}`, () => page.locator('.chart canvas').waitFor(), 'meter');
    // All customers together (the usage rollup), then the top customers, then one customer.
    await expect.poll(() => page.getByTestId('range-total').textContent()).toBe('1,234.5');
    await page.getByLabel('Usage of').selectOption('top');
    const top = page.getByRole('table', { name: 'Top customers' });
    expect(await top.getByRole('row').filter({ hasText: 'Ada Console' }).textContent()).toContain('1,234.5');
    expect(await top.locator('tbody tr').count()).toBe(1);
    await page.locator('.chart canvas').waitFor();
    await page.getByLabel('Usage of').selectOption(customer.id);
    await expect.poll(() => page.getByTestId('range-total').textContent()).toBe('1,234.5');
    // A custom range (the last 7 days by default, in day buckets) holds the same usage.
    await page.getByRole('button', { name: 'Custom' }).click();
    await page.getByLabel('From (UTC)').waitFor();
    await expect.poll(() => page.getByTestId('range-total').textContent()).toBe('1,234.5');

    // Advance the clock from the console, past the period end and the grace period.
    await visit(page, `/clocks/${clock.id}`, () => page.getByRole('button', { name: 'Advance clock' }).waitFor(), 'clock');
    await page.getByRole('link', { name: 'Ada Console', exact: true }).waitFor();
    await page.getByRole('button', { name: '+32 days' }).click();
    await page.getByRole('button', { name: 'Advance clock' }).click();
    // The clock takes the new time at once and is ready when the billing it brings about is done.
    await expect.poll(async () => {
      const now = await stripe.testHelpers.testClocks.retrieve(clock.id);
      return [now.frozen_time, now.status];
    }, { timeout: 30_000 }).toEqual([start + 3600 + 32 * 86_400, 'ready']);
    const invoices = (await stripe.invoices.list({ subscription: subscription.id })).data;
    const billed = invoices.find((i) => i.lines.data.some((l) => l.amount > 0))!;
    expect(billed.status).toBe('open');
    // The clock's page lists its subscription and every invoice it produced.
    await page.getByRole('link', { name: billed.number! }).waitFor();
    for (const invoice of invoices) await page.getByRole('link', { name: invoice.number ?? invoice.id }).waitFor();
    expect(await page.getByRole('cell', { name: subscription.id, exact: true }).count()).toBe(1);

    await visit(page, `/invoices/${billed.id}`, () => page.getByRole('table').waitFor(), 'invoice');
    const table = page.getByRole('table');
    const money = (cents: number) => `$${(cents / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
    const rowText = (name: string | RegExp) => table.getByRole('row').filter({ hasText: name }).first().textContent();
    for (const line of billed.lines.data) expect(await rowText(line.description!)).toContain(money(line.amount));
    expect(await rowText(/Credit grant applied: Welcome credits/)).toContain(`-${money(500)}`);
    expect(await rowText(/Amount due/)).toContain(money(billed.amount_due));
    expect(billed.amount_due).toBe(billed.total);

    // The invoice page links to the customer's copy, which needs no key and prints on A4 and Letter.
    const hostedUrl = await page.getByRole('link', { name: 'Hosted invoice page' }).getAttribute('href');
    expect(hostedUrl).toBe(billed.hosted_invoice_url);
    expect(await page.getByRole('link', { name: 'PDF' }).getAttribute('href')).toBe(billed.invoice_pdf);
    await checkHostedPage(billed);

    // Void it from the console: confirmed first, then the customer's credits are back.
    await page.getByRole('button', { name: 'Void' }).click();
    await page.getByRole('button', { name: 'Yes, void' }).click();
    await page.getByText('void', { exact: true }).first().waitFor();
    expect((await stripe.invoices.retrieve(billed.id)).status).toBe('void');
    await visit(page, `/customers/${customer.id}`, () => page.getByRole('heading', { name: 'Credit balance' }).waitFor(), 'customer');
    expect(await page.locator('.card').first().textContent()).toContain(`${money(500)} available`);
    // More credits, granted from the console.
    await page.getByLabel('Grant name').fill('Top-up');
    await page.getByLabel('Amount (minor units)').fill('1000');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    await page.getByRole('cell', { name: 'Top-up' }).waitFor();
    await expect.poll(() => page.locator('.card').first().textContent()).toContain(`${money(1500)} available`);
    const topUp = (await stripe.billing.creditGrants.list({ customer: customer.id })).data.find((g) => g.name === 'Top-up');
    expect(topUp).toMatchObject({ amount: { monetary: { currency: 'usd', value: 1000 } }, category: 'paid' });
    expect(grant.id).toMatch(/^credgr_/);
    await visit(page, '/invoices', () => page.getByRole('navigation', { name: 'Invoice status' }).waitFor(), 'invoices');
    await visit(page, '/clocks', () => page.getByRole('link', { name: 'Console story' }).waitFor(), 'clocks');

    // The catalog: tiers as a table; a product and a licensed price made from the console.
    await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      nickname: 'Volume tokens',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [{ up_to: 1000, unit_amount_decimal: Stripe.Decimal.from('0.5') }, { up_to: 'inf', unit_amount: 0, flat_amount: 2500 }],
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    await visit(page, '/catalog', () => page.getByRole('table', { name: 'Prices of API' }).waitFor(), 'catalog');
    const tiers = await page.getByRole('row').filter({ hasText: 'Volume tokens' }).first().textContent();
    expect(tiers).toContain('graduated tiers per month, metered on Tokens');
    expect(tiers).toContain('USD 0.005');
    expect(tiers).toContain('$25.00');
    await page.getByLabel('Product name').fill('Console plan');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: 'Console plan' }).waitFor();
    const plan = (await stripe.products.list({ limit: 100 })).data.find((p) => p.name === 'Console plan')!;
    await page.getByLabel('Product', { exact: true }).selectOption(plan.id);
    await page.getByLabel('Nickname').fill('Console seats');
    await page.getByLabel('Usage').selectOption('licensed');
    await page.getByLabel('Unit amount (minor units, decimals allowed)').fill('1500');
    await page.getByRole('button', { name: 'Create price' }).click();
    await page.getByRole('cell', { name: 'Console seats' }).waitFor();
    const [seats] = (await stripe.prices.list({ product: plan.id })).data;
    expect(seats).toMatchObject({ nickname: 'Console seats', unit_amount: 1500, currency: 'usd', recurring: { interval: 'month', usage_type: 'licensed' } });
    await page.getByLabel('Nickname').fill('Console volume');
    await page.getByLabel('Usage').selectOption('metered');
    await page.getByLabel('Meter').selectOption(meter.id);
    await page.getByLabel('Pricing model').selectOption('volume');
    await page.getByLabel('Tier 1 per unit').fill('0.5');
    await page.getByLabel('Tier 2 per unit').fill('0.25');
    await page.getByRole('button', { name: 'Create price' }).click();
    await page.getByRole('cell', { name: 'Console volume' }).waitFor();
    const volume = (await stripe.prices.list({ product: plan.id, expand: ['data.tiers'] })).data.find((p) => p.nickname === 'Console volume');
    expect(volume).toMatchObject({ billing_scheme: 'tiered', tiers_mode: 'volume', recurring: { usage_type: 'metered', meter: meter.id } });
    expect(volume!.tiers!.map((t) => [t.up_to, String(t.unit_amount_decimal)])).toEqual([[1000, '0.5'], [null, '0.25']]);

    // An alert made from the console, then deactivated there.
    await visit(page, '/alerts', () => page.getByRole('heading', { name: 'New alert' }).waitFor(), 'alerts');
    await page.getByLabel('Title').fill('Tokens over 5,000');
    await page.getByLabel('Meter').selectOption(meter.id);
    await page.getByLabel('At or above').fill('5000');
    await page.getByLabel('Customer (optional)').selectOption(customer.id);
    await page.getByRole('button', { name: 'Create alert' }).click();
    await page.getByRole('cell', { name: 'Tokens over 5,000' }).waitFor();
    const [alert] = (await stripe.billing.alerts.list({ meter: meter.id })).data;
    expect(alert).toMatchObject({ title: 'Tokens over 5,000', status: 'active', usage_threshold: { gte: 5000, meter: meter.id, filters: [{ customer: customer.id }] } });
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('button', { name: 'Yes, deactivate' }).click();
    await expect.poll(async () => (await stripe.billing.alerts.retrieve(alert!.id)).status).toBe('inactive');
    await page.context().close();
  });

  it('shows a read_only key every page and no action', async () => {
    const { secret } = await stack.services.apiKeys.create({ type: 'restricted', name: 'support', livemode: false, scopes: ['read_only'], now: nowSeconds() });
    const [invoice] = (await stripe.invoices.list({ limit: 1 })).data;
    const page = await signedIn(secret);
    await page.getByText('Read only').waitFor();
    await page.goto(`${stack.url}/#/invoices/${invoice!.id}`);
    await page.getByRole('table').waitFor();
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Void|Finalize|Mark/ }).count()).toBe(0);
    await page.context().close();
  });

  it('checked every page for accessibility', () => {
    expect(checked.sort()).toEqual(['alerts', 'catalog', 'clock', 'clocks', 'customer', 'customers', 'home', 'invoice', 'invoices', 'meter', 'meters']);
  });
});
