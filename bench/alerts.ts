/**
 * `npx tsx bench/alerts.ts`: what usage alert evaluation adds to the meter-events consumer.
 * The same workload is consumed twice on one local stack (DynamoDB Local): on a meter without
 * alerts, then on a meter with two usage alerts (one without filter, so every customer's usage
 * counts and every customer crosses it once during the run; one for a single customer). The
 * consumer is called directly with queue records as the ingest path writes them (no HTTP, no
 * SQS: both phases would pay those alike), two invocations in flight as the local stack runs it.
 * Units follow AWS's on-demand rules (bench/support/capacity.ts). The last line of stdout is
 * one JSON object.
 *
 * Environment: BENCH_ALERT_EVENTS (per phase, default 20000), BENCH_ALERT_CUSTOMERS (200),
 * BENCH_ALERT_BATCH_EVENTS (events per consumer invocation, 2000 = 20 messages of 100).
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_REGION, useLocalCredentials } from '../lib/local/emulators';
import { startLocalStack, type LocalStack } from '../lib/local/stack';
import type { QueueRecord } from '../lib/metering/consume-meter-events';
import { mainTable, usageTable } from '../lib/store/resources';
import { fmt, intEnv, log } from './support/cli';
import { CapacityCounter, writeUnits, type CapacityTally } from './support/capacity';
import { PRICES, round } from './support/cost';
import { runPool } from './support/pool';

const EVENTS = intEnv('BENCH_ALERT_EVENTS', 20_000);
const CUSTOMERS = intEnv('BENCH_ALERT_CUSTOMERS', 200);
const BATCH_EVENTS = intEnv('BENCH_ALERT_BATCH_EVENTS', 2_000);
const EVENTS_PER_MESSAGE = 100;
const POLLERS = 2;
const HOURS = 24;

interface Phase {
  name: string;
  seconds: number;
  capacity: CapacityTally;
  /** Consumer invocations (batches): each reads the alert lists of its meters once. */
  batches: number;
}

/** Queue records carrying `EVENTS` events of `eventName`, spread over customers and the last 24 hours, values 1..10. */
function records(eventName: string, customers: readonly string[], nowMs: number): QueueRecord[][] {
  const now = Math.floor(nowMs / 1000);
  const messages: QueueRecord[] = [];
  for (let i = 0; i < EVENTS; i += EVENTS_PER_MESSAGE) {
    const events = Array.from({ length: Math.min(EVENTS_PER_MESSAGE, EVENTS - i) }, (_, j) => {
      const n = i + j;
      return {
        identifier: `${eventName}_${n}_${randomUUID()}`,
        event_name: eventName,
        timestamp: now - (n % HOURS) * 3600,
        payload: { stripe_customer_id: customers[n % customers.length]!, value: String((Math.floor(n / customers.length) % 10) + 1) },
      };
    });
    const body = JSON.stringify({ type: 'meter_events', received: now, received_ms: nowMs, livemode: false, events });
    messages.push({ messageId: randomUUID(), receiptHandle: randomUUID(), body, receiveCount: 1 });
  }
  const perBatch = Math.max(1, Math.floor(BATCH_EVENTS / EVENTS_PER_MESSAGE));
  const batches: QueueRecord[][] = [];
  for (let i = 0; i < messages.length; i += perBatch) batches.push(messages.slice(i, i + perBatch));
  return batches;
}

async function consumeAll(stack: LocalStack, batches: QueueRecord[][]): Promise<void> {
  let pending = batches;
  for (let round = 0; pending.length; round++) {
    if (round > 10) throw new Error('batches keep failing');
    const failed: QueueRecord[][] = [];
    await runPool(pending.length, POLLERS, async (i) => {
      const batch = pending[i]!;
      const result = await stack.services.test.consumeMeterEvents(batch, Date.now());
      const left = batch.filter((r) => result.failedMessageIds.includes(r.messageId));
      if (left.length) failed.push(left);
    });
    pending = failed;
    if (pending.length) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main() {
  useLocalCredentials();
  const stack = await startLocalStack({ port: 0, pollerConcurrency: POLLERS, consumerTimeoutMs: 30_000, durableQueue: false });
  const { config } = stack.services;
  const capacity = new CapacityCounter({ [config.mainTableName]: mainTable, [config.usageTableName]: usageTable });
  capacity.active = false;
  capacity.install(stack.services.db);
  try {
    const s = stack.services.test;
    const now = () => Math.floor(Date.now() / 1000);
    const meter = (name: string) =>
      s.meters.create({ display_name: name, event_name: `${name}_${randomUUID().slice(0, 8)}`, default_aggregation: { formula: 'sum' } }, now(), false);
    const customers: string[] = [];
    await runPool(CUSTOMERS, 16, async (i) => {
      customers.push((await s.customers.create({ name: `bench ${i}` }, now(), false)).id);
    });
    const [warm, plain, alerted] = await Promise.all([meter('bench_alerts_warmup'), meter('bench_alerts_plain'), meter('bench_alerts_alerted')]);
    // Every customer's total is EVENTS / CUSTOMERS x 5.5 on average: gte at half of it makes every customer cross mid-run.
    const gte = Math.max(1, Math.floor((EVENTS / CUSTOMERS) * 5.5 * 0.5));
    const alertParams = (customer?: string) => ({
      alert_type: 'usage_threshold' as const,
      title: 'bench',
      usage_threshold: { meter: alerted.id, gte, recurrence: 'one_time' as const, ...(customer ? { filters: [{ type: 'customer' as const, customer }] } : {}) },
    });
    await s.alerts.create(alertParams(), false);
    await s.alerts.create(alertParams(customers[0]), false);

    // Warm-up (not measured): the JIT, DynamoDB Local's caches.
    await consumeAll(stack, records(warm.event_name, customers, Date.now()).slice(0, 3));

    const phases: Phase[] = [];
    for (const [name, m] of [['no alerts', plain], ['2 usage alerts', alerted]] as const) {
      const batches = records(m.event_name, customers, Date.now());
      capacity.reset();
      capacity.active = true;
      const t0 = performance.now();
      await consumeAll(stack, batches);
      const seconds = (performance.now() - t0) / 1000;
      capacity.active = false;
      phases.push({ name, seconds, capacity: capacity.snapshot(), batches: batches.length });
    }

    // Check: every customer crossed the unfiltered alert once, the filtered one fired for its customer.
    let triggered = 0;
    for await (const page of s.store.pages('event', { filter: { name: 'type', value: 'billing.alert.triggered' } })) triggered += page.length;
    const expected = CUSTOMERS + 1;

    const [without, withAlerts] = phases as [Phase, Phase];
    const perEvent = (p: Phase) => ({ wru: writeUnits(p.capacity) / EVENTS, rru: p.capacity.readUnits / EVENTS });
    const a = perEvent(without);
    const b = perEvent(withAlerts);
    // A missing alert list costs a consistent read (1 RRU) per meter and batch on AWS; the tally counts only items found.
    const listReadRru = without.batches / EVENTS;
    const extraWru = b.wru - a.wru;
    const extraRru = b.rru - a.rru;
    const usdPerMillion = extraWru * PRICES.dynamoPerMillionWriteUnits + extraRru * PRICES.dynamoPerMillionReadUnits;
    for (const p of phases) {
      log(`${p.name}: ${fmt(EVENTS)} events in ${fmt(p.seconds, 2)} s (${fmt(EVENTS / p.seconds)} events/s); ${fmt(writeUnits(p.capacity))} WRU, ${fmt(p.capacity.readUnits, 1)} RRU`);
      log(`  writes: ${JSON.stringify(p.capacity.writeUnitsBy)}`);
      log(`  reads: ${JSON.stringify(p.capacity.readUnitsBy)}; cancelled transactions ${p.capacity.cancelledTransactions}`);
    }
    log(`triggered events: ${triggered} (expected ${expected})`);
    log(
      JSON.stringify({
        alerts_events_per_phase: EVENTS,
        alerts_customers: CUSTOMERS,
        alerts_batch_events: BATCH_EVENTS,
        alerts_extra_wru_per_event: round(extraWru, 4),
        alerts_extra_rru_per_event: round(extraRru, 4),
        alerts_extra_usd_per_million_events: round(usdPerMillion, 4),
        alerts_no_alert_list_rru_per_event: round(listReadRru, 5),
        alerts_no_alert_list_usd_per_million_events: round(listReadRru * PRICES.dynamoPerMillionReadUnits, 5),
        alerts_wru_per_event_without: round(a.wru, 4),
        alerts_wru_per_event_with: round(b.wru, 4),
        alerts_rru_per_event_without: round(a.rru, 4),
        alerts_rru_per_event_with: round(b.rru, 4),
        alerts_cancelled_transactions_with: withAlerts.capacity.cancelledTransactions,
        alerts_events_per_s_without: Math.round(EVENTS / without.seconds),
        alerts_events_per_s_with: Math.round(EVENTS / withAlerts.seconds),
        alerts_triggered_ok: triggered === expected,
        region: LOCAL_REGION,
      }),
    );
    if (triggered !== expected) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
