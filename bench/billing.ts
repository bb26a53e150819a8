/**
 * The billing run: N live subscriptions (a flat monthly price and a metered price on one meter)
 * with usage sent through the meter event stream, then the fake clock moved past their period
 * end (the real scheduler queues one job per subscription; the real worker, behind the local
 * SQS poller, closes every period into a draft invoice) and past the grace period (the same path
 * finalizes every draft). Both phases are timed and their DynamoDB units counted by AWS's rules;
 * every subscription's invoices are then checked exactly. Two sizes run in the same process
 * (each on its own fresh stack) to show that the cost per invoice does not grow with N.
 *
 * `npx tsx bench/billing.ts` prints a report and, last, one JSON line; `npm run bench` runs it
 * after the ingest bench and merges that line into its own.
 *
 * Environment: BENCH_BILLING_SUBSCRIPTIONS (default 10000), BENCH_BILLING_SMALL (default
 * min(1000, N/10)), BENCH_BILLING_CONCURRENCY (API calls in flight during setup, 16),
 * BENCH_BILLING_POLLERS (billing worker invocations in flight, 2 as the local stack),
 * BENCH_BILLING_SAMPLE (invoices checked field by field through the SDK, 200).
 */
import { pathToFileURL } from 'node:url';
import Decimal from 'decimal.js';
import Stripe from 'stripe';
import type { Invoice } from '../lib/billing/model';
import { useLocalCredentials } from '../lib/local/emulators';
import { startLocalStack, type LocalStack } from '../lib/local/stack';
import { billingSchedule, billingWorker, invoiceGrace, mainTable, usageTable } from '../lib/store/resources';
import { CapacityCounter, writeUnits, type CapacityTally } from './support/capacity';
import { fmt, intEnv, localStripe, log } from './support/cli';
import { costLine, gbSeconds, PRICES, round, table } from './support/cost';
import { billedSqsRequests, childPids, InvocationTimer, procRss, RssSampler, SqsCounter, type SqsTally } from './support/meters';
import { runPool } from './support/pool';

const LARGE = intEnv('BENCH_BILLING_SUBSCRIPTIONS', 10_000);
const SMALL = intEnv('BENCH_BILLING_SMALL', Math.min(1000, Math.max(1, Math.floor(LARGE / 10))));
const CONCURRENCY = intEnv('BENCH_BILLING_CONCURRENCY', 16);
const POLLERS = intEnv('BENCH_BILLING_POLLERS', 2);
const SAMPLE = intEnv('BENCH_BILLING_SAMPLE', 200);
const EVENTS_PER_CUSTOMER = 3;
const FLAT_CENTS = 2900;
const METERED_UNIT = '0.35';
const GRACE_SECONDS = invoiceGrace.defaultSeconds;

interface Phase {
  name: string;
  seconds: number;
  queued: number;
  schedulerMs: number;
  capacity: CapacityTally;
  sqs: SqsTally;
  worker: { invocations: number; billedMs: number; meanMs: number; maxMs: number };
}

export interface SizeResult {
  subscriptions: number;
  invoices: number;
  setupSeconds: { subscriptions: number; usage: number };
  phases: Phase[];
  seconds: number;
  invoicesPerSecond: number;
  wruPerInvoice: number;
  rruPerInvoice: number;
  tableWruPerInvoice: number;
  indexWruPerInvoice: number;
  usdPer1000: number;
  costLines: { item: string; quantity: string; usd: number }[];
  exact: boolean;
  checkedAll: number;
  sampled: number;
  mismatches: string[];
  dlq: number;
  peakRssMb: number;
  dynamoPeakRssMb: number | undefined;
  byDueQueries: number;
}

/** One billing run of `n` subscriptions on a fresh local stack. */
async function runSize(n: number): Promise<SizeResult> {
  let offsetMs = 0;
  const nowMs = () => Date.now() + offsetMs;
  const workerTimer = new InvocationTimer();
  const stack: LocalStack = await startLocalStack({
    port: 0,
    nowMs,
    pollerConcurrency: POLLERS,
    invoiceGraceSeconds: GRACE_SECONDS,
    wrapBillingWorker: (handler) => async (event) => {
      const t0 = performance.now();
      try {
        return await handler(event);
      } finally {
        workerTimer.add(performance.now() - t0);
      }
    },
  });
  const rss = new RssSampler();
  rss.start();
  const javaPid = childPids('java')[0];
  const { config } = stack.services;
  const capacity = new CapacityCounter({ [config.mainTableName]: mainTable, [config.usageTableName]: usageTable });
  capacity.active = false;
  capacity.install(stack.services.db);
  const sqs = new SqsCounter();
  sqs.install(stack.services.sqs);

  try {
    // ---------------------------------------------------------------- setup (not timed)
    const t = () => Math.floor(nowMs() / 1000);
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'bench', livemode: false, now: t() });
    const stripe = localStripe(secret, stack.url);
    const meter = await stripe.billing.meters.create({
      display_name: 'Bench tokens',
      event_name: `bench_billing_tokens_${n}`,
      default_aggregation: { formula: 'sum' },
    });
    const product = await stripe.products.create({ name: 'Bench plan' });
    const flat = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: FLAT_CENTS, recurring: { interval: 'month' } });
    const metered = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from(METERED_UNIT),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });

    // Only what the checks need is kept per subscription (ids and times), never the objects.
    const subscriptionIds: string[] = new Array(n);
    const customerIds: string[] = new Array(n);
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    const usageMillis = new Float64Array(n);
    let t0 = performance.now();
    await runPool(n, CONCURRENCY, async (i) => {
      const customer = await stripe.customers.create({ name: `Bench customer ${i}` });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: flat.id }, { price: metered.id }] });
      subscriptionIds[i] = sub.id;
      customerIds[i] = customer.id;
      starts[i] = sub.start_date;
      ends[i] = sub.items.data[0]!.current_period_end;
      if ((i + 1) % 2000 === 0) log(`  ${fmt(i + 1)}/${fmt(n)} subscriptions`);
    });
    const subscriptionSeconds = (performance.now() - t0) / 1000;
    log(`setup: ${fmt(n)} customers and subscriptions through the API (${CONCURRENCY} in flight) in ${fmt(subscriptionSeconds, 1)} s (${fmt(n / subscriptionSeconds)}/s)`);

    // Usage: a few events per customer through the meter event stream, 100 per request, drained.
    t0 = performance.now();
    const session = await stripe.v2.billing.meterEventSession.create();
    const streamer = localStripe(session.authentication_token, stack.url);
    const events = n * EVENTS_PER_CUSTOMER;
    await runPool(Math.ceil(events / 100), 8, async (r) => {
      const batch: Stripe.V2.Billing.MeterEventCreateParams[] = [];
      for (let e = r * 100; e < Math.min(events, (r + 1) * 100); e++) {
        const customer = e % n;
        const millis = 1 + Math.floor(Math.random() * 99_999);
        usageMillis[customer]! += millis;
        batch.push({
          event_name: meter.event_name,
          identifier: `bench_${n}_${e}`,
          timestamp: new Date(nowMs()).toISOString(),
          payload: { stripe_customer_id: customerIds[customer]!, value: new Decimal(millis).div(1000).toFixed(3) },
        });
      }
      await streamer.v2.billing.meterEventStream.create({ events: batch });
    });
    while (!(await stack.drain(60_000))) log('  still draining meter events...');
    const usageSeconds = (performance.now() - t0) / 1000;
    log(`setup: ${fmt(events)} meter events (${EVENTS_PER_CUSTOMER} per customer) sent and consumed in ${fmt(usageSeconds, 1)} s`);

    // ---------------------------------------------------------------- timed: close, then finalize
    const lastEnd = Math.max(...ends);
    const phases: Phase[] = [];
    const phase = async (name: string, atSeconds: number): Promise<Phase> => {
      offsetMs = atSeconds * 1000 - Date.now();
      capacity.reset();
      sqs.reset();
      workerTimer.reset();
      capacity.active = true;
      const start = performance.now();
      const { queued } = await stack.runBillingScheduler();
      const schedulerMs = performance.now() - start;
      while (!(await stack.drain(60_000))) log(`  ${name}: still draining, queue ${await stack.billingPoller.depth()} jobs`);
      const seconds = (performance.now() - start) / 1000;
      capacity.active = false;
      const result: Phase = {
        name,
        seconds,
        queued,
        schedulerMs,
        capacity: capacity.snapshot(),
        sqs: sqs.snapshot(),
        worker: { invocations: workerTimer.count, billedMs: workerTimer.billedMs, meanMs: workerTimer.totalMs / Math.max(1, workerTimer.count), maxMs: workerTimer.maxMs },
      };
      log(`${name}: scheduler queued ${fmt(queued)} jobs in ${fmt(schedulerMs)} ms; drained in ${fmt(seconds, 1)} s (${fmt(n / seconds, 1)} subscriptions/s); ${fmt(result.worker.invocations)} worker invocations, ${fmt(result.worker.meanMs)} ms mean`);
      return result;
    };
    phases.push(await phase('close (period end -> draft invoices)', lastEnd + 60));
    phases.push(await phase('finalize (grace passed -> open invoices)', lastEnd + GRACE_SECONDS + 120));

    // ---------------------------------------------------------------- correctness (not timed)
    const mismatches: string[] = [];
    const expectedCycleTotal = (i: number) =>
      FLAT_CENTS + new Decimal(usageMillis[i]!).div(1000).mul(METERED_UNIT).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
    // Every subscription, through the store's list by subscription (the query behind GET /v1/invoices?subscription=).
    let checkedAll = 0;
    await runPool(n, 32, async (i) => {
      const page = await stack.services.store.list<Invoice>('invoice', { limit: 10, filter: { name: 'subscription', value: subscriptionIds[i]! } });
      const problems = checkInvoices(page.data, i);
      if (problems) mismatches.push(`${subscriptionIds[i]}: ${problems}`);
      checkedAll++;
    });
    // A sample through the SDK, line by line.
    const sample = Math.min(SAMPLE, n);
    const step = n / sample;
    await runPool(sample, 16, async (s) => {
      const i = Math.floor(s * step);
      const page = await stripe.invoices.list({ customer: customerIds[i]!, limit: 10 });
      const invoices = page.data as unknown as Invoice[];
      const problems = checkInvoices(invoices, i);
      const cycle = invoices.find((inv) => inv.billing_reason === 'subscription_cycle');
      const usageLine = cycle?.lines.data.find((l) => l.price.id === metered.id);
      const flatLine = cycle?.lines.data.find((l) => l.price.id === flat.id);
      const quantity = new Decimal(usageMillis[i]!).div(1000).toFixed();
      const lineProblems = [
        problems,
        String(usageLine?.quantity_decimal) === quantity ? '' : `usage line quantity ${String(usageLine?.quantity_decimal)}, expected ${quantity}`,
        usageLine?.period.start === starts[i] && usageLine?.period.end === ends[i] ? '' : 'usage line period',
        flatLine?.amount === FLAT_CENTS && flatLine.period.start === ends[i] ? '' : 'flat line (next period, in advance)',
        cycle?.status_transitions.finalized_at === lastEnd + GRACE_SECONDS + 120 || (cycle?.status_transitions.finalized_at ?? 0) >= ends[i]! + GRACE_SECONDS ? '' : 'finalized_at',
      ].filter(Boolean);
      if (lineProblems.length) mismatches.push(`${subscriptionIds[i]} (SDK): ${lineProblems.join('; ')}`);
    });

    function checkInvoices(invoices: Invoice[], i: number): string {
      if (invoices.length !== 2) return `${invoices.length} invoices, expected 2`;
      const created = invoices.find((inv) => inv.billing_reason === 'subscription_create');
      const cycle = invoices.find((inv) => inv.billing_reason === 'subscription_cycle');
      if (!created || !cycle) return `reasons ${invoices.map((inv) => inv.billing_reason).join(',')}`;
      const wrong: string[] = [];
      if (created.total !== FLAT_CENTS || created.status !== 'open') wrong.push(`first invoice ${created.status} ${created.total}`);
      if (cycle.status !== 'open') wrong.push(`cycle invoice ${cycle.status}`);
      if (cycle.total !== expectedCycleTotal(i)) wrong.push(`cycle total ${cycle.total}, expected ${expectedCycleTotal(i)}`);
      if (cycle.period_start !== starts[i] || cycle.period_end !== ends[i]) wrong.push(`cycle period ${cycle.period_start}-${cycle.period_end}, expected ${starts[i]}-${ends[i]}`);
      return wrong.join('; ');
    }

    const dlq = await stack.billingDlqDepth();
    rss.stop();
    const dynamoPeakRssMb = javaPid ? procRss(javaPid)?.peakMb : undefined;

    // ---------------------------------------------------------------- figures
    const invoices = n; // the run creates one invoice per subscription (the cycle invoice) and finalizes it
    const seconds = phases.reduce((s, p) => s + p.seconds, 0);
    const wru = phases.reduce((s, p) => s + writeUnits(p.capacity), 0);
    const tableWru = phases.reduce((s, p) => s + p.capacity.tableWriteUnits, 0);
    const rru = phases.reduce((s, p) => s + p.capacity.readUnits, 0);
    const sqsBilled = phases.reduce((s, p) => s + billedSqsRequests(p.sqs), 0);
    const workerInvocations = phases.reduce((s, p) => s + p.worker.invocations, 0);
    const workerGbs = phases.reduce((s, p) => s + gbSeconds(p.worker.billedMs, billingWorker.memoryMb), 0);
    const schedulerGbs = phases.reduce((s, p) => s + gbSeconds(Math.ceil(p.schedulerMs), billingSchedule.memoryMb), 0);
    const per1000 = 1000 / invoices;
    /** A line per 1,000 invoices, its quantity shown with `digits` decimals. */
    const line = (item: string, quantity: number, unit: string, price: number, digits: number) => {
      const { scaled, usd } = costLine(item, quantity, unit, price, per1000);
      return { item, quantity: `${fmt(scaled, digits)} ${unit}`, usd };
    };
    const costLines = [
      line('DynamoDB write units', wru, 'WRU', PRICES.dynamoPerMillionWriteUnits / 1e6, 0),
      line('DynamoDB read units', rru, 'RRU', PRICES.dynamoPerMillionReadUnits / 1e6, 1),
      line('SQS requests (64 KB chunks)', sqsBilled, 'requests', PRICES.sqsPerMillionRequests / 1e6, 0),
      line('Lambda requests: scheduler + worker', phases.length + workerInvocations, 'invocations', PRICES.lambdaPerMillionRequests / 1e6, 1),
      line(`Lambda duration: worker (${billingWorker.memoryMb} MB)`, workerGbs, 'GB-s', PRICES.lambdaPerGbSecond, 1),
      line(`Lambda duration: scheduler (${billingSchedule.memoryMb} MB)`, schedulerGbs, 'GB-s', PRICES.lambdaPerGbSecond, 2),
    ];
    return {
      subscriptions: n,
      invoices,
      setupSeconds: { subscriptions: subscriptionSeconds, usage: usageSeconds },
      phases,
      seconds,
      invoicesPerSecond: invoices / seconds,
      wruPerInvoice: wru / invoices,
      rruPerInvoice: rru / invoices,
      tableWruPerInvoice: tableWru / invoices,
      indexWruPerInvoice: (wru - tableWru) / invoices,
      usdPer1000: costLines.reduce((s, l) => s + l.usd, 0),
      costLines,
      exact: mismatches.length === 0 && checkedAll === n && dlq === 0,
      checkedAll,
      sampled: sample,
      mismatches,
      dlq,
      peakRssMb: rss.peakMb,
      dynamoPeakRssMb,
      byDueQueries: phases.reduce((s, p) => s + (p.capacity.calls['Query byDue'] ?? 0), 0),
    };
  } finally {
    rss.stop();
    await stack.stop();
  }
}

function report(r: SizeResult): void {
  log();
  log(`== ${fmt(r.subscriptions)} subscriptions: ${fmt(r.invoices)} invoices closed and finalized in ${fmt(r.seconds, 1)} s: ${fmt(r.invoicesPerSecond, 1)} invoices/s`);
  log(
    table(
      ['phase', 'jobs', 's', 'WRU (table)', 'WRU (indexes)', 'RRU', 'worker invocations'],
      r.phases.map((p) => [
        p.name,
        fmt(p.queued),
        fmt(p.seconds, 1),
        fmt(p.capacity.tableWriteUnits),
        fmt(writeUnits(p.capacity) - p.capacity.tableWriteUnits),
        fmt(p.capacity.readUnits, 1),
        fmt(p.worker.invocations),
      ]),
    ),
  );
  for (const p of r.phases) {
    log(`  ${p.name}:`);
    log(`    writes by item: ${Object.entries(p.capacity.writeUnitsBy).map(([k, v]) => `${k} ${fmt(v / r.invoices, 2)}`).join(', ')} (WRU per invoice)`);
    log(`    index writes: ${Object.entries(p.capacity.indexWriteUnits).map(([k, v]) => `${k} ${fmt(v / r.invoices, 2)}`).join(', ')} (WRU per invoice)`);
    log(`    reads: ${Object.entries(p.capacity.readUnitsBy).map(([k, v]) => `${k} ${fmt(v / r.invoices, 2)}`).join(', ')} (RRU per invoice)`);
    log(`    calls: ${JSON.stringify(p.capacity.calls)}; errors: ${JSON.stringify(p.capacity.errors)}; cancelled transactions ${p.capacity.cancelledTransactions}`);
    log(`    largest items (bytes): ${JSON.stringify(p.capacity.largestItemBytes)}; DynamoDB Local reported ${fmt(p.capacity.localWriteUnits)} WRU / ${fmt(p.capacity.localReadUnits, 1)} RRU`);
    log(`    SQS: ${Object.entries(p.sqs.calls).map(([op, c]) => `${op} ${fmt(c)}`).join(', ')} (empty receives ${fmt(p.sqs.emptyReceives)})`);
  }
  log(`  per invoice: ${r.wruPerInvoice.toFixed(2)} WRU (${r.tableWruPerInvoice.toFixed(2)} table incl. transactions x2, ${r.indexWruPerInvoice.toFixed(2)} global secondary indexes), ${r.rruPerInvoice.toFixed(2)} RRU`);
  log(table(['item', 'per 1,000 invoices', 'USD'], r.costLines.map((l) => [l.item, l.quantity, l.usd.toFixed(4)]).concat([['total', '', r.usdPer1000.toFixed(4)]])));
  log(`  checks: ${fmt(r.checkedAll)} subscriptions with exactly 2 invoices of the expected totals and periods (store query by subscription), ${r.sampled} sampled line by line through the SDK; ${r.mismatches.length} mismatches; billing DLQ ${r.dlq}`);
  for (const m of r.mismatches.slice(0, 5)) log(`    MISMATCH ${m}`);
  log(`  scheduler: ${r.byDueQueries} byDue query pages over both phases (it streams pages of ids, never the subscriptions)`);
  log(`  memory: peak RSS ${fmt(r.peakRssMb)} MB (bench + stack, Node); DynamoDB Local ${r.dynamoPeakRssMb ? fmt(r.dynamoPeakRssMb) : 'n/a'} MB`);
}

/** Runs both sizes, prints the report and returns the figures for the bench's JSON line. */
export async function runBillingBench(): Promise<Record<string, unknown>> {
  useLocalCredentials();
  const overall = new RssSampler();
  overall.start();
  const sizes = SMALL > 0 && SMALL !== LARGE ? [SMALL, LARGE] : [LARGE];
  const results: SizeResult[] = [];
  for (const n of sizes) {
    log(`billing run: ${fmt(n)} subscriptions, ${POLLERS} worker pollers of batch ${billingWorker.batchSize}`);
    const r = await runSize(n);
    report(r);
    results.push(r);
  }
  overall.stop();
  const large = results.at(-1)!;
  const small = results.length > 1 ? results[0]! : undefined;
  const tag = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const figures: Record<string, unknown> = {};
  for (const r of results) {
    const k = `billing_${tag(r.subscriptions)}`;
    figures[`${k}_invoices_per_s`] = round(r.invoicesPerSecond, 1);
    figures[`${k}_wru_per_invoice`] = round(r.wruPerInvoice, 3);
    figures[`${k}_rru_per_invoice`] = round(r.rruPerInvoice, 3);
    figures[`${k}_usd_per_1000_invoices`] = round(r.usdPer1000, 4);
  }
  if (small) {
    const ratio = large.wruPerInvoice / small.wruPerInvoice;
    figures.billing_wru_per_invoice_ratio = round(ratio, 3);
    figures.billing_rru_per_invoice_ratio = round(large.rruPerInvoice / small.rruPerInvoice, 3);
    log();
    log(`cost per invoice vs N: ${tag(large.subscriptions)} / ${tag(small.subscriptions)} = ${ratio.toFixed(3)} (write units), ${(large.rruPerInvoice / small.rruPerInvoice).toFixed(3)} (read units)`);
  }
  figures.billing_table_wru_per_invoice = round(large.tableWruPerInvoice, 3);
  figures.billing_index_wru_per_invoice = round(large.indexWruPerInvoice, 3);
  figures.billing_peak_rss_mb = round(overall.peakMb, 1);
  figures.billing_exact = results.every((r) => r.exact);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBillingBench()
    .then((figures) => {
      log(JSON.stringify(figures));
      process.exit(figures.billing_exact ? 0 : 1);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
