/**
 * Console bench: what a user waits for. (1) The gzipped size of the JavaScript the first page
 * loads (goal: at most 150 KB), measured in the browser from the requests it makes. (2) The time
 * to render a customer page for a customer with 100 invoices and 20 credit grants on the local
 * stack, in Debian's Chromium: from navigation to the credit ledger drawn, the median of several
 * loads. Prints one JSON line.
 *
 *   npx tsx bench/console.ts            BENCH_CONSOLE_LOADS=7
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startLocalStack } from '../lib/local/stack';
import { intEnv, localStripe, log } from './support/cli';
import { round } from './support/cost';

const LOADS = intEnv('BENCH_CONSOLE_LOADS', 7);
const INVOICES = 100;
const GRANTS = 20;
const DAY = 86_400;

async function main() {
  const stack = await startLocalStack({ port: 0, durableQueue: false, invoiceGraceSeconds: 0 });
  const now = Math.floor(Date.now() / 1000);
  const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'bench', livemode: false, now });
  const stripe = localStripe(secret, stack.url);
  try {
    // A customer on a daily price, on a clock advanced 100 days: 100 invoices, and 20 grants.
    const start = now - 120 * DAY;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ name: 'Busy customer', test_clock: clock.id });
    const product = await stripe.products.create({ name: 'Daily plan' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100, recurring: { interval: 'day' } });
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    for (let i = 0; i < GRANTS; i++) {
      await stripe.billing.creditGrants.create({
        customer: customer.id,
        name: `Grant ${i + 1}`,
        category: 'paid',
        amount: { type: 'monetary', monetary: { currency: 'usd', value: 10 } },
        applicability_config: { scope: { price_type: 'metered' } },
      });
    }
    const setupStart = Date.now();
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + (INVOICES - 1) * DAY + 3600 });
    let invoices = 0;
    for await (const _ of stripe.invoices.list({ customer: customer.id, limit: 100 })) invoices++;
    log(`setup: ${invoices} invoices and ${GRANTS} grants in ${round((Date.now() - setupStart) / 1000, 1)} s`);

    const browser = await chromium.launch({
      executablePath: process.env.METERLINE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const scripts: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
      });
      await page.goto(`${stack.url}/`);
      await page.getByLabel('API key').fill(secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const dist = path.join(process.cwd(), 'web/dist');
      const firstPageJsGzipBytes = [...new Set(scripts)].reduce((sum, file) => sum + gzipSync(readFileSync(path.join(dist, file))).length, 0);

      const timings: number[] = [];
      for (let i = 0; i < LOADS; i++) {
        await page.goto(`${stack.url}/#/`);
        await page.getByRole('heading', { name: 'Recent invoices' }).waitFor();
        const t0 = Date.now();
        await page.goto(`${stack.url}/#/customers/${customer.id}`);
        await page.getByRole('heading', { name: 'Credit ledger' }).waitFor();
        await page.getByRole('cell', { name: `Grant ${GRANTS}`, exact: true }).waitFor();
        timings.push(Date.now() - t0);
      }
      timings.sort((a, b) => a - b);
      const summary = {
        bench: 'console',
        first_page_js_gzip_kb: round(firstPageJsGzipBytes / 1024, 1),
        first_page_js_goal_kb: 150,
        first_page_scripts: [...new Set(scripts)].length,
        customer_invoices: invoices,
        customer_grants: GRANTS,
        customer_page_render_ms_median: timings[Math.floor(timings.length / 2)],
        customer_page_render_ms_max: timings.at(-1),
        loads: LOADS,
      };
      log(JSON.stringify(summary));
    } finally {
      await browser.close();
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

