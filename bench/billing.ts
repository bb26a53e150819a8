/**
 * The billing run: N live subscriptions (a flat monthly price and a metered price on one meter)
 * with usage sent through the meter event stream, then the fake clock moved past their period
 * end (the real scheduler queues one job per subscription; the real worker, behind the local
 * SQS poller, closes every period into a draft invoice) and past the grace period (the same path
 * finalizes every draft). Both phases are timed and their DynamoDB units counted by AWS's rules;
 * every subscription's invoices are then checked exactly. Two sizes run in the same process
 * (each on its own fresh stack) to show that the cost per invoice does not grow with N. Then the
 * large size runs once more, on a fresh stack, with two credit grants per customer created
 * through the API before the billing run: the difference from the plain run is what applying
 * credits at finalization costs per invoice.
 *
 * `npx tsx bench/billing.ts` prints a report and, last, one JSON line; `npm run bench` runs it
 * after the ingest bench and merges that line into its own.
 *
 * Environment: BENCH_BILLING_SUBSCRIPTIONS (default 10000), BENCH_BILLING_SMALL (default
 * min(1000, N/10)), BENCH_BILLING_CONCURRENCY (API calls in flight during setup, 16),
 * BENCH_BILLING_POLLERS (billing worker invocations in flight, 2 as the local stack),
 * BENCH_BILLING_SAMPLE (invoices checked field by field through the SDK, 200), BENCH_BILLING_CREDITS
 * (0: skip the credit run).
 */
import { pathToFileURL } from 'node:url';
import Decimal from 'decimal.js';
import Stripe from 'stripe';
import type { Invoice } from '../lib/billing/model';
import type { StoredGrant } from '../lib/credits/model';
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
const CREDITS = intEnv('BENCH_BILLING_CREDITS', 1) !== 0;
const EVENTS_PER_CUSTOMER = 3;
/**
 * Each usage event's value in thousandths of a unit: 10.000 to 99.999 units, so that every
 * customer's metered line is at least 11 cents (30 units x 0.35 cents, rounded half up).
 */
const EVENT_MILLIS = { min: 10_000, max: 99_999 };
const FLAT_CENTS = 2900;
const METERED_UNIT = '0.35';
const GRACE_SECONDS = invoiceGrace.defaultSeconds;

/** A credit grant every customer gets in the credit run: USD, scoped to metered prices, never expiring. */
interface GrantSpec {
  name: string;
  category: 'paid' | 'promotional';
  /** Omitted: the API's default (50). */
  priority?: number;
  cents: number;
}

/**
 * The credit run's grants, listed in the order credits spend them (priority 10 before the
 * default 50). The promotional grant is smaller than the smallest metered line (11 cents), so
 * it is spent in full on every invoice and the paid grant is always used too: it pays the rest
 * of the metered line up to its 40 cents.
 */
const CREDIT_GRANTS: readonly GrantSpec[] = [
  { name: 'Bench promotional credit', category: 'promotional', priority: 10, cents: 8 },
  { name: 'Bench prepaid credit', category: 'paid', cents: 40 },
];

/** What each grant pays of a metered amount, spent in order, in exact integer cents. */
function spend(metered: number, grants: readonly GrantSpec[]): number[] {
  let left = metered;
  return grants.map(({ cents }) => {
    const paid = Math.min(cents, left);
    left -= paid;
    return paid;
  });
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);

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
  /** Credit grants per customer (0: the plain run). */
  grantsPerCustomer: number;
  invoices: number;
  setupSeconds: { subscriptions: number; usage: number; grants: number };
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

/** One billing run of `n` subscriptions on a fresh local stack, each customer with `grants`. */
async function runSize(n: number, grants: readonly GrantSpec[] = []): Promise<SizeResult> {
  let offsetMs = 0;
  const nowMs = () => Date.now() + offsetMs;
  const workerTimer = new InvocationTimer();
  const stack: LocalStack = await startLocalStack({
    port: 0,
    // What runs on AWS, where SQS itself is durable: no local queue journal.
    durableQueue: false,
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
        const millis = EVENT_MILLIS.min + Math.floor(Math.random() * (EVENT_MILLIS.max - EVENT_MILLIS.min + 1));
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

    // Credits: each customer's grants through the API (one transaction per grant).
    t0 = performance.now();
    const grantCount = n * grants.length;
    await runPool(grantCount, CONCURRENCY, async (k) => {
      const { name, category, priority, cents } = grants[k % grants.length]!;
      await stripe.billing.creditGrants.create({
        customer: customerIds[Math.floor(k / grants.length)]!,
        name,
        category,
        priority,
        amount: { type: 'monetary', monetary: { currency: 'usd', value: cents } },
        applicability_config: { scope: { price_type: 'metered' } },
      });
    });
    const grantSeconds = (performance.now() - t0) / 1000;
    if (grantCount) log(`setup: ${fmt(grantCount)} credit grants (${grants.length} per customer) through the API in ${fmt(grantSeconds, 1)} s (${fmt(grantCount / grantSeconds)}/s)`);

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
    const meteredCents = (i: number) => new Decimal(usageMillis[i]!).div(1000).mul(METERED_UNIT).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
    /** What each of the customer's grants pays of the cycle invoice, and what is left of each. */
    const creditsOf = (i: number) => spend(meteredCents(i), grants);
    const remainingOf = (i: number) => creditsOf(i).map((paid, g) => grants[g]!.cents - paid);
    const expectedCycleTotal = (i: number) => FLAT_CENTS + meteredCents(i) - sum(creditsOf(i));
    // Every subscription, through the store's list by subscription (the query behind GET /v1/invoices?subscription=),
    // and in the credit run every customer's grants, through the ledger's read of them.
    let checkedAll = 0;
    await runPool(n, 32, async (i) => {
      const page = await stack.services.test.store.list<Invoice>('invoice', { limit: 10, filter: { name: 'subscription', value: subscriptionIds[i]! } });
      const stored = grants.length ? await stack.services.test.billing.ledger.grantsOf(customerIds[i]!) : [];
      const problems = [checkInvoices(page.data, i), checkGrants(stored, i)].filter(Boolean).join('; ');
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
        await checkLedgerSdk(i, cycle?.id),
        sum(usageLine?.pretax_credit_amounts.map((c) => c.amount) ?? []) === sum(creditsOf(i)) ? '' : 'usage line pretax_credit_amounts',
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
      if (cycle.total !== expectedCycleTotal(i) || cycle.amount_due !== cycle.total) wrong.push(`cycle total ${cycle.total} (due ${cycle.amount_due}), expected ${expectedCycleTotal(i)}`);
      const credits = creditsOf(i).join('+');
      const applied = cycle.total_pretax_credit_amounts.map((c) => c.amount).join('+');
      if (applied !== credits) wrong.push(`credits ${applied || 'none'}, expected ${credits || 'none'}`);
      if (creditsOf(i).includes(0)) wrong.push('a grant left unused: the grants or the usage do not fit the bench');
      if (cycle.period_start !== starts[i] || cycle.period_end !== ends[i]) wrong.push(`cycle period ${cycle.period_start}-${cycle.period_end}, expected ${starts[i]}-${ends[i]}`);
      return wrong.join('; ');
    }

    /** The customer's grants as stored: what is left of each is its value less what it paid. */
    function checkGrants(stored: StoredGrant[], i: number): string {
      const remaining = grants.map((spec) => stored.find((s) => s.grant.name === spec.name)?.remaining).join(',');
      const expected = remainingOf(i).join(',');
      return stored.length === grants.length && remaining === expected ? '' : `${stored.length} grants with remaining ${remaining}, expected ${expected}`;
    }

    /** Through the SDK: the balance summary and the ledger (granted, then applied to the cycle invoice) add up to what is left. */
    async function checkLedgerSdk(i: number, cycleInvoice: string | undefined): Promise<string> {
      if (!grants.length) return '';
      const customer = customerIds[i]!;
      const summary = await stripe.billing.creditBalanceSummaries.retrieve({ customer, filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } });
      const ledger = await stripe.billing.creditBalanceTransactions.list({ customer, limit: 10 });
      const value = (amount: { monetary: { value: number } | null }) => amount.monetary?.value ?? NaN;
      const granted = ledger.data.flatMap((e) => (e.credit ? [value(e.credit.amount)] : []));
      const applied = ledger.data.flatMap((e) => (e.debit && e.debit.credits_applied?.invoice === cycleInvoice ? [value(e.debit.amount)] : []));
      const left = sum(remainingOf(i));
      const ok =
        summary.balances.length === 1 &&
        value(summary.balances[0]!.available_balance) === left &&
        ledger.data.length === 2 * grants.length &&
        sum(granted) - sum(applied) === left &&
        sum(applied) === sum(creditsOf(i));
      return ok ? '' : `credit ledger: balance ${JSON.stringify(summary.balances)}, granted ${granted.join('+')}, applied ${applied.join('+')}; expected ${left} left`;
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
      grantsPerCustomer: grants.length,
      invoices,
      setupSeconds: { subscriptions: subscriptionSeconds, usage: usageSeconds, grants: grantSeconds },
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
  const credits = r.grantsPerCustomer ? `, ${r.grantsPerCustomer} credit grants per customer` : '';
  log(`== ${fmt(r.subscriptions)} subscriptions${credits}: ${fmt(r.invoices)} invoices closed and finalized in ${fmt(r.seconds, 1)} s: ${fmt(r.invoicesPerSecond, 1)} invoices/s`);
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
  const creditChecks = r.grantsPerCustomer ? ', credits and grants left (ledger)' : '';
  const sdkCreditChecks = r.grantsPerCustomer ? ' with their balance summary and credit ledger' : '';
  log(`  checks: ${fmt(r.checkedAll)} subscriptions with exactly 2 invoices of the expected totals${creditChecks} and periods (store query by subscription), ${r.sampled} sampled line by line through the SDK${sdkCreditChecks}; ${r.mismatches.length} mismatches; billing DLQ ${r.dlq}`);
  for (const m of r.mismatches.slice(0, 5)) log(`    MISMATCH ${m}`);
  log(`  scheduler: ${r.byDueQueries} byDue query pages over both phases (it streams pages of ids, never the subscriptions)`);
  log(`  memory: peak RSS ${fmt(r.peakRssMb)} MB (bench + stack, Node); DynamoDB Local ${r.dynamoPeakRssMb ? fmt(r.dynamoPeakRssMb) : 'n/a'} MB`);
}

/** A figure of a run per invoice, compared between the plain and the credit run. */
interface PerInvoice {
  label: string;
  /** The JSON name of its difference: billing_credits_extra_<key>. */
  key: string;
  of: (r: SizeResult) => number;
  digits: number;
}

const closePhase = (r: SizeResult) => r.phases[0]!;
const finalizePhase = (r: SizeResult) => r.phases.at(-1)!;
const msPerInvoice = (r: SizeResult, seconds: number) => (seconds * 1000) / r.invoices;

const PER_INVOICE: PerInvoice[] = [
  { label: 'write units (table, transactions x2)', key: 'table_wru_per_invoice', of: (r) => r.tableWruPerInvoice, digits: 2 },
  { label: 'write units (indexes)', key: 'index_wru_per_invoice', of: (r) => r.indexWruPerInvoice, digits: 2 },
  { label: 'write units', key: 'wru_per_invoice', of: (r) => r.wruPerInvoice, digits: 2 },
  { label: 'read units', key: 'rru_per_invoice', of: (r) => r.rruPerInvoice, digits: 2 },
  { label: 'finalize phase: wall ms per invoice', key: 'finalize_ms_per_invoice', of: (r) => msPerInvoice(r, finalizePhase(r).seconds), digits: 2 },
  { label: 'finalize phase: worker ms per invocation (mean)', key: 'finalize_worker_ms_per_invocation', of: (r) => finalizePhase(r).worker.meanMs, digits: 0 },
  // Credits do nothing at the close: its difference is the noise of the machine between the two runs.
  { label: 'close phase (no credit work): wall ms per invoice', key: 'close_ms_per_invoice', of: (r) => msPerInvoice(r, closePhase(r).seconds), digits: 2 },
  { label: 'both phases: wall ms per invoice', key: 'ms_per_invoice', of: (r) => msPerInvoice(r, r.seconds), digits: 2 },
  { label: 'USD per 1,000 invoices', key: 'usd_per_1000_invoices', of: (r) => r.usdPer1000, digits: 4 },
];

/** What applying credits costs: the credit run against the plain run of the same size, per invoice. */
function compareCredits(plain: SizeResult, credits: SizeResult): Record<string, unknown> {
  log();
  log(`== credits at ${fmt(credits.subscriptions)} subscriptions: ${credits.grantsPerCustomer} grants per customer against none`);
  const rows = PER_INVOICE.map((f) => ({ ...f, plain: f.of(plain), credits: f.of(credits), extra: f.of(credits) - f.of(plain) }));
  log(table(['per invoice', 'plain', 'with credits', 'extra'], rows.map((r) => [r.label, r.plain.toFixed(r.digits), r.credits.toFixed(r.digits), r.extra.toFixed(r.digits)])));
  const grants = credits.subscriptions * credits.grantsPerCustomer;
  log(`  setup: ${fmt(grants)} grants created through the API at ${fmt(grants / credits.setupSeconds.grants, 1)}/s (not in the phases above)`);
  return {
    ...Object.fromEntries(rows.map((r) => [`billing_credits_extra_${r.key}`, round(r.extra, r.digits + 1)])),
    billing_credits_wru_per_invoice: round(credits.wruPerInvoice, 3),
    billing_credits_rru_per_invoice: round(credits.rruPerInvoice, 3),
    billing_credits_invoices_per_s: round(credits.invoicesPerSecond, 1),
    billing_credits_usd_per_1000_invoices: round(credits.usdPer1000, 4),
    billing_credits_grants_per_s: round(grants / credits.setupSeconds.grants, 1),
    billing_credits_exact: credits.exact,
  };
}

/**
 * Runs both sizes, then the large one with credits, prints the report and returns the figures
 * for the bench's JSON line.
 */
export async function runBillingBench(): Promise<Record<string, unknown>> {
  useLocalCredentials();
  const overall = new RssSampler();
  overall.start();
  const sizes = SMALL > 0 && SMALL !== LARGE ? [SMALL, LARGE] : [LARGE];
  const runs: [number, readonly GrantSpec[]][] = sizes.map((n) => [n, []]);
  if (CREDITS) runs.push([LARGE, CREDIT_GRANTS]);
  const results: SizeResult[] = [];
  for (const [n, grants] of runs) {
    const credits = grants.length ? `, ${grants.length} credit grants per customer` : '';
    log(`billing run: ${fmt(n)} subscriptions${credits}, ${POLLERS} worker pollers of batch ${billingWorker.batchSize}`);
    const r = await runSize(n, grants);
    report(r);
    results.push(r);
  }
  overall.stop();
  const plain = results.filter((r) => !r.grantsPerCustomer);
  const withCredits = results.find((r) => r.grantsPerCustomer);
  const large = plain.at(-1)!;
  const small = plain.length > 1 ? plain[0]! : undefined;
  const tag = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const figures: Record<string, unknown> = {};
  for (const r of plain) {
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
  if (withCredits) Object.assign(figures, compareCredits(large, withCredits));
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
