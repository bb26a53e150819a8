/**
 * `npm run bench`: pushes meter events through the whole local pipeline (gateway -> ingest
 * handler -> SQS (fauxqs) -> poller -> consumer handler -> DynamoDB Local), checks that the
 * usage summaries reflect every event exactly, measures a BatchWriteItem floor on the same
 * DynamoDB Local, and prices the run with AWS's rules. The last line of stdout is one JSON object.
 *
 * Then, in the same process and on the same stack, the same number of events for the same
 * customers go to a meter with dimensions (`model` and `token_type`), spread over 3 models x 2
 * token types: write units, read units and cost per event next to the first run's, with their
 * ratio; every customer's summaries and per-model groups checked exactly; and, for one customer
 * with usage in every hour of 30 days (sent through the same pipeline), the time of a 30-day
 * hourly summary grouped by model, next to the same summary without dimensions.
 *
 * Environment: BENCH_EVENTS (default 200000), BENCH_CUSTOMERS (1000), BENCH_CONCURRENCY (requests
 * in flight, 16), BENCH_POLLERS (consumer invocations in flight, 2 as the local stack), BENCH_DUPLICATES (0.1),
 * BENCH_FLOOR_CONCURRENCY (defaults to BENCH_CONCURRENCY),
 * BENCH_BATCH_SIZE (experiment: overrides meterConsumer.batchSize of lib/store/resources.ts for
 * this process only), BENCH_CONDITIONAL_FLOOR (items for the conditional-put reference, default
 * min(BENCH_EVENTS, 50000); 0 skips it), BENCH_DIMENSIONS (0 skips the run with dimensions).
 *
 * Then the billing run (bench/billing.ts, its own variables) runs in a child process and its
 * figures join the JSON line; BENCH_BILLING=0 skips it.
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { availableParallelism, loadavg } from 'node:os';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { Quantity } from '../lib/domain/quantity';
import { combinationKey } from '../lib/domain/dimensions';
import { LOCAL_REGION, useLocalCredentials } from '../lib/local/emulators';
import { startLocalStack } from '../lib/local/stack';
import { MAX_STREAM_EVENTS } from '../lib/metering/record-meter-events';
import { keysFor } from '../lib/store/keys';
import { meterUsageTotals, topCustomers } from '../lib/metering/usage-totals';
import { meterConsumer, usageRollup } from '../lib/store/resources';
import { fmt, localStripe, log, numberEnv } from './support/cli';
import { costPerMillion, gbSeconds, PRICES, round, table } from './support/cost';
import { claimLikeItem, runConditionalFloor, runFloor } from './support/floor';
import { COMBINATIONS, DIMENSION_KEYS, dimensionPayload, MODELS, modelMismatches, ModelTotals, type ModelSummary } from './support/dimensions';
import {
  billedSqsRequests,
  childPids,
  DynamoCounter,
  InvocationTimer,
  itemSizeBytes,
  machineBusySeconds,
  procCpuSeconds,
  procRss,
  RssSampler,
  SqsCounter,
  timeServerRequests,
  type DynamoTally,
  type SqsTally,
} from './support/meters';
import { runPool } from './support/pool';

const EVENTS = Math.floor(numberEnv('BENCH_EVENTS', 200_000));
const CUSTOMERS = Math.floor(numberEnv('BENCH_CUSTOMERS', 1000));
const CONCURRENCY = Math.floor(numberEnv('BENCH_CONCURRENCY', 16));
// The local stack's own default (lib/local/stack.ts: 2 consumer invocations in flight).
const POLLERS = Math.floor(numberEnv('BENCH_POLLERS', 2));
const DUPLICATE_SHARE = numberEnv('BENCH_DUPLICATES', 0.1);
const FLOOR_CONCURRENCY = Math.floor(numberEnv('BENCH_FLOOR_CONCURRENCY', CONCURRENCY));
const BATCH_SIZE = Math.floor(numberEnv('BENCH_BATCH_SIZE', meterConsumer.batchSize));
const CONDITIONAL_FLOOR = Math.floor(numberEnv('BENCH_CONDITIONAL_FLOOR', Math.min(EVENTS, 50_000)));
/** BENCH_DIMENSIONS=0 skips the run with dimensions (and its summary probes). */
const DIMENSIONS = process.env.BENCH_DIMENSIONS !== '0';
const EVENTS_PER_REQUEST = MAX_STREAM_EVENTS;
/**
 * BENCH_ROLLUP=1 runs the usage rollup alongside the pipeline and prices it. Off by default: with
 * the usage table streaming, DynamoDB Local slows the consumer's large batches to a crawl (20,000
 * events did not drain in minutes), which says nothing about AWS, where a stream costs writes nothing.
 */
const ROLLUP = process.env.BENCH_ROLLUP === '1';
/** Memory assumed for the ingest function (the consumer's comes from lib/store/resources.ts). */
const INGEST_MEMORY_MB = 512;
const EVENT_NAME = 'bench_tokens';
const DIMENSIONED_EVENT_NAME = 'bench_tokens_by_model';
const STREAM_PATH = '/v2/billing/meter_event_stream';
const HOUR = 3600;
const MINUTE = 60;
/** The summary probe: one customer with usage in every hour of this many days, every combination each hour. */
const SUMMARY_DAYS = 30;
/** Each summary probe is timed this many times; the median is reported. */
const SUMMARY_REPEATS = 3;

/** A meter event value: a decimal with three places in [0.001, 99.999]. */
function randomValueMillis(): number {
  return 1 + Math.floor(Math.random() * 99_999);
}
const valueText = (millis: number) => `${Math.floor(millis / 1000)}.${String(millis % 1000).padStart(3, '0')}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

type StreamEvent = { event_name: string; identifier: string; timestamp: string; payload: Record<string, string> };
type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;

/**
 * Posts meter event stream requests over keep-alive HTTP with a meter event session token
 * (renewed a minute before its 15 minutes run out), retrying as a client would: the same body,
 * so retried events carry the same identifiers.
 */
class StreamSender {
  httpRequests = 0;
  retries = 0;
  private session = { token: '', expiresMs: 0 };
  private renewing: Promise<void> | undefined;
  private agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  constructor(
    private readonly stripe: Stripe,
    private readonly url: URL,
  ) {}

  async sessionToken(force = false): Promise<string> {
    if (force || Date.now() > this.session.expiresMs - 60_000) {
      this.renewing ??= (async () => {
        const created = await this.stripe.v2.billing.meterEventSession.create();
        this.session = { token: created.authentication_token, expiresMs: Date.parse(created.expires_at as unknown as string) };
      })().finally(() => (this.renewing = undefined));
      await this.renewing;
    }
    return this.session.token;
  }

  private post(token: string, body: string) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: Number(this.url.port),
          method: 'POST',
          path: STREAM_PATH,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends one request body until it is accepted (200); throws on anything else after 3 retries. */
  async send(body: string): Promise<void> {
    let token = await this.sessionToken();
    for (let attempt = 0; ; attempt++) {
      this.httpRequests++;
      let reply: { status: number; text: string };
      try {
        reply = await this.post(token, body);
      } catch (error) {
        if (attempt >= 3) throw error;
        this.retries++;
        await sleep(100 * 2 ** attempt);
        continue;
      }
      if (reply.status === 200) return;
      if (reply.status === 401 && attempt < 3 && reply.text.includes('session_expired')) {
        token = await this.sessionToken(true);
        this.retries++;
        continue;
      }
      if (reply.status >= 500 && attempt < 3) {
        this.retries++;
        await sleep(100 * 2 ** attempt);
        continue;
      }
      throw new Error(`POST ${STREAM_PATH} answered ${reply.status}: ${reply.text}`);
    }
  }

  /** Sends `events` in requests of 100, CONCURRENCY in flight. */
  async sendAll(events: readonly StreamEvent[]): Promise<void> {
    await runPool(Math.ceil(events.length / EVENTS_PER_REQUEST), CONCURRENCY, (r) =>
      this.send(JSON.stringify({ events: events.slice(r * EVENTS_PER_REQUEST, (r + 1) * EVENTS_PER_REQUEST) })),
    );
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What every run shares: the instrumented stack, its clients and counters, the customers. */
interface Bench {
  stack: LocalStack;
  stripe: Stripe;
  sender: StreamSender;
  customerIds: string[];
  dynamo: DynamoCounter;
  sqs: SqsCounter;
  consumerTimer: InvocationTimer;
  ingestTimer: InvocationTimer;
  consumerStats: { records: number; failedRecords: number; crashes: number };
  javaPids: number[];
}

/** One pipeline run's measurements (counters stop once the queue has drained). */
interface PipelineRun {
  label: string;
  meterId: string;
  dimensioned: boolean;
  uniqueEvents: number;
  duplicates: number;
  expectedTotal: Quantity;
  sentSeconds: number;
  drainedSeconds: number;
  /** Until every customer's (ungrouped) summary equals the exact total. */
  seconds: number;
  eventsPerSecond: number;
  cpuShare: { node: number; java: number; machine: number };
  dynamoTally: DynamoTally;
  sqsTally: SqsTally;
  consumer: { count: number; totalMs: number; billedMs: number; maxMs: number };
  ingest: { count: number; totalMs: number; billedMs: number; maxMs: number };
  consumerStats: { records: number; failedRecords: number; crashes: number };
  httpRequests: number;
  retries: number;
  crashes: number;
  dlq: number;
  checked: number;
  mismatches: string[];
  /** The dimensioned run: customers whose per-model groups differ from the exact totals. */
  groupMismatches: string[];
  largestUsageItem: number;
  /** Final size of each hourly usage item (`pk|sk`), what its updates are charged by. */
  itemSizes: Map<string, number>;
  claimItem: Record<string, unknown>;
  minSecond: number;
  maxSecond: number;
  expected: Quantity[];
}

const timerSnapshot = (t: InvocationTimer) => ({ count: t.count, totalMs: t.totalMs, billedMs: t.billedMs, maxMs: t.maxMs });

/**
 * Sends EVENTS events for the customers to `meterId` through the pipeline, DUPLICATE_SHARE of
 * them repeating an accepted identifier; waits until the queue has drained and every customer's
 * summary equals the exact total. With `dimensioned`, each event also carries one of the 3 x 2
 * combinations of `model` and `token_type`, and every customer's per-model groups are checked too.
 */
async function runPipeline(bench: Bench, label: string, meterId: string, eventName: string, dimensioned: boolean): Promise<PipelineRun> {
  const { stack, stripe, sender, customerIds, dynamo, sqs, consumerTimer, ingestTimer, consumerStats, javaPids } = bench;
  const requests = Math.ceil(EVENTS / EVENTS_PER_REQUEST);
  // Unique events, by sequence number: customer, value (thousandths), timestamp (seconds), combination.
  const eventCustomer = new Uint16Array(EVENTS);
  const eventMillis = new Uint32Array(EVENTS);
  const eventSecond = new Float64Array(EVENTS);
  const eventCombination = new Uint8Array(EVENTS);
  const acked = new Int32Array(EVENTS);
  let ackedCount = 0;
  let nextSeq = 0;
  let duplicates = 0;
  const expected = Array.from({ length: CUSTOMERS }, () => new Quantity(0));
  const expectedByModel = new ModelTotals(CUSTOMERS);
  const run = randomUUID().slice(0, 8);
  const identifier = (seq: number) => `bench_${run}_${seq}`;
  const eventJson = (seq: number): StreamEvent => ({
    event_name: eventName,
    identifier: identifier(seq),
    timestamp: new Date(eventSecond[seq]! * 1000).toISOString(),
    payload: {
      stripe_customer_id: customerIds[eventCustomer[seq]!]!,
      value: valueText(eventMillis[seq]!),
      ...(dimensioned ? dimensionPayload(eventCombination[seq]!) : {}),
    },
  });
  let minSecond = Infinity;
  let maxSecond = 0;

  /** The body of request `r`: DUPLICATE_SHARE of its events repeat an identifier sent (and accepted) earlier. */
  function buildRequest(r: number): { body: string; fresh: number[] } {
    const size = Math.min(EVENTS_PER_REQUEST, EVENTS - r * EVENTS_PER_REQUEST);
    const second = Math.floor(Date.now() / 1000);
    const dupEvery = DUPLICATE_SHARE > 0 ? Math.round(1 / DUPLICATE_SHARE) : Infinity;
    const events: StreamEvent[] = [];
    const fresh: number[] = [];
    for (let k = 0; k < size; k++) {
      if (ackedCount > 0 && (k + 1) % dupEvery === 0) {
        duplicates++;
        events.push(eventJson(acked[Math.floor(Math.random() * ackedCount)]!));
        continue;
      }
      const seq = nextSeq++;
      const customer = Math.floor(Math.random() * CUSTOMERS);
      const millis = randomValueMillis();
      const combination = Math.floor(Math.random() * COMBINATIONS);
      eventCustomer[seq] = customer;
      eventMillis[seq] = millis;
      eventSecond[seq] = second;
      eventCombination[seq] = combination;
      expected[customer] = expected[customer]!.plus(valueText(millis));
      if (dimensioned) expectedByModel.add(customer, combination, valueText(millis));
      fresh.push(seq);
      events.push(eventJson(seq));
    }
    minSecond = Math.min(minSecond, second);
    maxSecond = Math.max(maxSecond, second);
    return { body: JSON.stringify({ events }), fresh };
  }

  // ---------------------------------------------------------------- timed: the pipeline
  // With BENCH_ROLLUP=1 the usage rollup runs alongside the pipeline, as its own Lambda does on
  // AWS: its DynamoDB calls are counted apart (part 'rollup').
  dynamo.reset();
  sqs.reset();
  consumerTimer.reset();
  ingestTimer.reset();
  consumerTimer.active = true;
  ingestTimer.active = true;
  Object.assign(consumerStats, { records: 0, failedRecords: 0, crashes: 0 });
  const crashesBefore = stack.poller.crashes;
  const dlqBefore = await stack.dlqDepth();
  const httpBefore = { requests: sender.httpRequests, retries: sender.retries };
  log(`pipeline ${label}: ${fmt(EVENTS)} events in ${fmt(requests)} requests of ${EVENTS_PER_REQUEST}, ${CONCURRENCY} in flight, ${POLLERS} consumer pollers, batch size ${meterConsumer.batchSize} messages`);
  const cpu0 = { node: process.cpuUsage(), java: procCpuSeconds(javaPids[0] ?? 0), machine: machineBusySeconds() };
  const t0 = performance.now();
  let lastReport = t0;
  let sentRequests = 0;
  await runPool(requests, CONCURRENCY, async (r) => {
    const { body, fresh } = buildRequest(r);
    await sender.send(body);
    // Retried requests carry the same identifiers: the duplicates are still counted once.
    for (const seq of fresh) acked[ackedCount++] = seq;
    sentRequests++;
    const t = performance.now();
    if (t - lastReport > 10_000) {
      lastReport = t;
      log(`  ${fmt(sentRequests)}/${fmt(requests)} requests sent, ${fmt((sentRequests * EVENTS_PER_REQUEST) / ((t - t0) / 1000))} events/s accepted, queue ${await stack.poller.depth()} messages`);
    }
  });
  const tSent = performance.now();
  log(`  all sent in ${fmt((tSent - t0) / 1000, 1)} s (${fmt(EVENTS / ((tSent - t0) / 1000))} events/s accepted); draining...`);
  while (!(await stack.drain(30_000))) {
    log(`  still draining: queue ${await stack.poller.depth()} messages, ${stack.poller.crashes - crashesBefore} crashed invocations`);
  }
  const tDrained = performance.now();
  const nodeCpu = process.cpuUsage(cpu0.node);
  const cpuShare = {
    node: (nodeCpu.user + nodeCpu.system) / 1e6 / ((tDrained - t0) / 1000),
    java: (procCpuSeconds(javaPids[0] ?? 0) - cpu0.java) / ((tDrained - t0) / 1000),
    machine: (machineBusySeconds() - cpu0.machine) / ((tDrained - t0) / 1000),
  };
  // Counters stop here: what follows (the summaries check) is not part of ingestion's cost.
  consumerTimer.active = false;
  ingestTimer.active = false;
  const dynamoTally = dynamo.snapshot();
  const sqsTally = sqs.snapshot();
  const consumer = timerSnapshot(consumerTimer);
  const ingest = timerSnapshot(ingestTimer);
  const stats = { ...consumerStats };

  // The clock stops once the summaries, read through the API, equal the exact totals.
  const start = minSecond - (minSecond % 60);
  const end = maxSecond - (maxSecond % 60) + 60;
  const mismatches: string[] = [];
  let checked = 0;
  await runPool(CUSTOMERS, 16, async (c) => {
    const page = await stripe.billing.meters.listEventSummaries(meterId, { customer: customerIds[c]!, start_time: start, end_time: end });
    const got = page.data.reduce((sum, s) => sum.plus(String(s.aggregated_value)), new Quantity(0));
    if (!got.eq(expected[c]!)) mismatches.push(`${customerIds[c]}: summaries say ${got.toFixed()}, expected ${expected[c]!.toFixed()}`);
    checked++;
  });
  const tVerified = performance.now();
  // With dimensions (not timed): each customer's summaries grouped by model equal the exact per-model totals.
  const groupMismatches: string[] = [];
  if (dimensioned) {
    await runPool(CUSTOMERS, 16, async (c) => {
      const page = await stripe.billing.meters.listEventSummaries(meterId, {
        customer: customerIds[c]!,
        start_time: start,
        end_time: end,
        limit: 100,
        dimension_group_by_keys: ['model'],
      } as Stripe.Billing.MeterListEventSummariesParams);
      const problems = modelMismatches(page.data as ModelSummary[], expectedByModel, c);
      if (problems.length) groupMismatches.push(`${customerIds[c]}: ${problems.join(', ')}`);
    });
  }
  // The cost model charges each hourly usage item's updates by its size: read them all back.
  const itemSizes = new Map<string, number>();
  let largestUsageItem = 0;
  await runPool(CUSTOMERS, 16, async (c) => {
    const out = await stack.services.db.send(
      new QueryCommand({
        TableName: stack.services.config.usageTableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': keysFor('test').usagePartition(meterId, customerIds[c]!) },
      }),
    );
    for (const item of out.Items ?? []) {
      const size = itemSizeBytes(item);
      itemSizes.set(`${String(item.pk)}|${String(item.sk)}`, size);
      largestUsageItem = Math.max(largestUsageItem, size);
    }
  });
  // A claim's item: the event, and for a meter with dimensions its combination (the longest here).
  const claimItem = {
    ...claimLikeItem(identifier(0), meterId, customerIds[0]!, '99.999', Math.floor(Date.now() / 1000), Date.now()),
    received_ms: Date.now(),
    ...(dimensioned ? { dims: combinationKey(dimensionPayload(2)) } : {}),
  };
  return {
    label,
    meterId,
    dimensioned,
    uniqueEvents: nextSeq,
    duplicates,
    expectedTotal: expected.reduce((a, b) => a.plus(b), new Quantity(0)),
    sentSeconds: (tSent - t0) / 1000,
    drainedSeconds: (tDrained - t0) / 1000,
    seconds: (tVerified - t0) / 1000,
    eventsPerSecond: EVENTS / ((tVerified - t0) / 1000),
    cpuShare,
    dynamoTally,
    sqsTally,
    consumer,
    ingest,
    consumerStats: stats,
    httpRequests: sender.httpRequests - httpBefore.requests,
    retries: sender.retries - httpBefore.retries,
    crashes: stack.poller.crashes - crashesBefore,
    dlq: (await stack.dlqDepth()) - dlqBefore,
    checked,
    mismatches,
    groupMismatches,
    largestUsageItem,
    itemSizes,
    claimItem,
    minSecond,
    maxSecond,
    expected,
  };
}

/** A run's DynamoDB units by AWS's rules, part by part, and its cost per million events. */
function priceRun(run: PipelineRun) {
  const t = run.dynamoTally;
  // A claim put whose condition fails still consumes write capacity on AWS (the size of the
  // larger of the existing and the new item, here under 1 KB): 1 unit each. DynamoDB Local
  // returns no ConsumedCapacity with the exception, so it is added from the count.
  const claimUnitsEach = Math.max(1, Math.ceil(itemSizeBytes(run.claimItem) / 1024));
  const conflictUnits = Math.max(t.claimConflictUnitsReported, t.claimConflicts * claimUnitsEach);
  // Units are counted from each call's ConsumedCapacity by bench/support/meters.ts (see there
  // how DynamoDB Local's figures are turned into AWS's).
  // Apply transactions: 2 units per item and KB (AWS); markers are ~100 bytes. An update of an
  // hourly usage item costs by the item's size after it: at most its final size, read back.
  const markerUnits = t.applyMarkers * 2;
  let aggregateUnits = 0;
  for (const [key, updates] of Object.entries(t.applyUpdatesByItem)) {
    aggregateUnits += updates * 2 * Math.max(1, Math.ceil((run.itemSizes.get(key) ?? 0) / 1024));
  }
  const writeUnits = t.claimUnits + conflictUnits + markerUnits + aggregateUnits + t.otherWriteUnits;
  // Consistent reads of hourly usage items (the bound on combinations): 1 unit per item up to 4 KB,
  // also for an item not found. DynamoDB Local's figure is kept when higher.
  const combinationReadUnits = Math.max(t.combinationReadUnits, t.combinationReads);
  const readUnits = t.markerReadUnits + combinationReadUnits + t.otherReadUnits;
  const cost = costPerMillion({
    events: EVENTS,
    httpRequests: run.httpRequests,
    sqsBilledRequests: billedSqsRequests(run.sqsTally),
    ingestInvocations: run.ingest.count,
    ingestBilledMs: run.ingest.billedMs,
    ingestMemoryMb: INGEST_MEMORY_MB,
    consumerInvocations: run.consumer.count,
    consumerBilledMs: run.consumer.billedMs,
    consumerMemoryMb: meterConsumer.memoryMb,
    writeUnits,
    readUnits,
  });
  return { claimUnitsEach, conflictUnits, markerUnits, aggregateUnits, writeUnits, combinationReadUnits, readUnits, cost };
}

/** The text report of one pipeline run (the first run's, as the bench has always printed it). */
function reportRun(run: PipelineRun, priced: ReturnType<typeof priceRun>, floor: { itemsPerSecond: number; seconds: number; unprocessedRetries: number }, conditionalFloor?: { itemsPerSecond: number; items: number }) {
  const t = run.dynamoTally;
  const ratio = run.eventsPerSecond / floor.itemsPerSecond;
  log();
  log(`pipeline ${run.label}: ${fmt(EVENTS)} events (${fmt(run.uniqueEvents)} unique, ${fmt(run.duplicates)} duplicates) for ${CUSTOMERS} customers`);
  log(`  accepted by the API in ${fmt(run.sentSeconds, 1)} s, consumed by ${fmt(run.drainedSeconds, 1)} s, summaries checked by ${fmt(run.seconds, 1)} s`);
  log(`  ${fmt(run.eventsPerSecond)} events/s end to end; floor ${fmt(floor.itemsPerSecond)} items/s (${fmt(floor.seconds, 1)} s, ${floor.unprocessedRetries} unprocessed retries); ratio ${ratio.toFixed(2)}`);
  if (conditionalFloor) {
    log(`  reference: one conditional PutItem per event on the same DynamoDB Local: ${fmt(conditionalFloor.itemsPerSecond)} items/s (${fmt(conditionalFloor.items)} items); pipeline / that = ${(run.eventsPerSecond / conditionalFloor.itemsPerSecond).toFixed(2)}`);
  }
  log(`  consumer: ${fmt(run.consumer.count)} invocations, ${fmt(run.consumerStats.records / Math.max(1, run.consumer.count), 1)} messages (${fmt((run.consumerStats.records * EVENTS_PER_REQUEST) / Math.max(1, run.consumer.count))} events) each on average, ${fmt(run.consumer.totalMs / Math.max(1, run.consumer.count))} ms mean, ${fmt(run.consumer.maxMs)} ms max; ${run.consumerStats.failedRecords} messages returned, ${run.crashes} crashed invocations, DLQ ${run.dlq}`);
  log(`  ingest: ${fmt(run.ingest.count)} invocations, ${fmt(run.ingest.totalMs / Math.max(1, run.ingest.count), 1)} ms mean server-side; ${run.httpRequests} HTTP requests (${run.retries} retries)`);
  log(`  CPU while the pipeline ran (cores, of ${availableParallelism()}): Node (bench client, gateway, handlers, fauxqs, poller) ${run.cpuShare.node.toFixed(2)}, DynamoDB Local (Java) ${run.cpuShare.java.toFixed(2)}, other processes on the machine ${Math.max(0, run.cpuShare.machine - run.cpuShare.node - run.cpuShare.java).toFixed(2)}`);
  log(`  summaries: ${run.checked} customers checked, total ${run.expectedTotal.toFixed()}, ${run.mismatches.length} mismatches${run.dimensioned ? `; grouped by model: ${run.groupMismatches.length} customers differ` : ''}`);
  log();
  log(`Cost per million events, ${run.label} (AWS list prices, us-east-1, arm64):`);
  const { cost } = priced;
  log(
    table(
      ['item', 'in this run', 'per 1M events', 'unit', 'USD per 1M events'],
      cost.lines.map((l) => [l.item, fmt(l.quantity, l.unit === 'GB-s' ? 1 : 0), fmt(l.scaled, l.unit === 'GB-s' ? 1 : 0), l.unit, l.usd.toFixed(4)]).concat([
        ['total', '', '', '', cost.total.toFixed(4)],
      ]),
    ),
  );
  log();
  log('SQS calls (billed requests count each started 64 KB of payload):');
  const sqsTally = run.sqsTally;
  log(
    table(
      ['call', 'calls', 'billed requests', 'messages', 'MB of payload'],
      Object.keys(sqsTally.calls).map((op) => [
        op + (op === 'GetQueueAttributes' ? ' (local drain polling, not billed)' : ''),
        fmt(sqsTally.calls[op]!),
        fmt(sqsTally.billed[op]!),
        fmt(sqsTally.messages[op] ?? 0),
        fmt((sqsTally.bytes[op] ?? 0) / 1e6, 1),
      ]),
    ),
  );
  log(`  empty receives: ${fmt(sqsTally.emptyReceives)}`);
  log();
  log(`What exactly-once costs, in DynamoDB write units (claim item ${itemSizeBytes(run.claimItem)} B = ${priced.claimUnitsEach} WRU):`);
  const per = (u: number) => (u / EVENTS).toFixed(3);
  log(
    table(
      ['part', 'count', 'WRU', 'WRU per event'],
      [
        ['claims (conditional INSERT per unique identifier)', fmt(t.claims), fmt(t.claimUnits), per(t.claimUnits)],
        ['duplicates: failed conditional claim inserts', fmt(t.claimConflicts), fmt(priced.conflictUnits), per(priced.conflictUnits)],
        ['aggregates: hourly usage updates (transactional, x2)', fmt(t.applyUpdates), fmt(priced.aggregateUnits), per(priced.aggregateUnits)],
        ['apply markers (transactional, x2)', fmt(t.applyMarkers), fmt(priced.markerUnits), per(priced.markerUnits)],
        ['other writes', '', fmt(t.otherWriteUnits), per(t.otherWriteUnits)],
        ['total', '', fmt(priced.writeUnits), per(priced.writeUnits)],
      ],
    ),
  );
  const overKb = [...run.itemSizes.values()].filter((s) => s > 1024).length;
  log(`  ${fmt(t.applyTransactions)} apply transactions (${fmt(t.applyUpdates / Math.max(1, t.applyTransactions), 1)} usage items each; largest usage item ${run.largestUsageItem} B, ${overKb} of ${fmt(run.itemSizes.size)} items over 1 KB); failures: ${JSON.stringify(t.applyFailures)}`);
  log(`  DynamoDB Local reported ${fmt(t.applyUnitsReported / 2)} units for these transactions (not per item): the table counts 2 WRU per item and KB instead`);
  log(`  in-batch duplicates (no DynamoDB call): ${fmt(run.duplicates - t.claimConflicts)}; read units: ${fmt(priced.readUnits)} (marker checks ${fmt(t.markerReadUnits)} for ${fmt(t.markerReads)} keys; combination checks ${fmt(priced.combinationReadUnits)} for ${fmt(t.combinationReads)} hourly items; other ${fmt(t.otherReadUnits)})`);
  log(`  other calls: ${JSON.stringify(t.otherCalls)}; errors: ${JSON.stringify(t.errors)}`);
  log(`  DynamoDB time (sum of call latencies): claims ${fmt(t.ms.claims / 1000, 1)} s, apply transactions ${fmt(t.ms.apply / 1000, 1)} s, marker reads ${fmt(t.ms.markerReads / 1000, 1)} s, combination reads ${fmt(t.ms.combinationReads / 1000, 1)} s, other ${fmt(t.ms.other / 1000, 1)} s`);
}

/** The summary probes' outcome (meters with and without dimensions, one customer each). */
interface SummaryProbe {
  events: number;
  sendSeconds: number;
  plain: { ms: number; firstPageMs: number; pages: number; rows: number };
  byModel: { ms: number; firstPageMs: number; pages: number; rows: number };
  mismatches: string[];
  busyHour: { plainBytes: number; dimensionedBytes: number };
}

/** Every page of a summary listing, timed (ms); the first page's time apart. */
async function timedListing(stripe: Stripe, meterId: string, params: Record<string, unknown>) {
  const t0 = performance.now();
  let firstPageMs = 0;
  let pages = 0;
  const rows: (Stripe.Billing.MeterEventSummary & ModelSummary)[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await stripe.billing.meters.listEventSummaries(meterId, {
      ...params,
      limit: 100,
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    } as Stripe.Billing.MeterListEventSummariesParams);
    if (pages++ === 0) firstPageMs = performance.now() - t0;
    rows.push(...(page.data as typeof rows));
    if (!page.has_more) break;
    startingAfter = page.data.at(-1)!.id;
  }
  return { ms: performance.now() - t0, firstPageMs, pages, rows };
}

/**
 * Usage over SUMMARY_DAYS for one new customer, on both meters, sent through the same pipeline:
 * every combination in every hour, at a random minute. Then the hourly summaries over those days
 * (grouped by model with dimensions, ungrouped without) are timed, page after page, and checked
 * exactly hour by hour. And a busy hour: another customer with every combination in every minute
 * of one hour, to show how large an hourly usage item grows with dimensions.
 */
async function probeSummaries(bench: Bench, plainMeter: { id: string; event_name: string }, dimensionedMeter: { id: string; event_name: string }): Promise<SummaryProbe> {
  const { stack, stripe, sender } = bench;
  const now = Math.floor(Date.now() / 1000);
  const hours = SUMMARY_DAYS * 24;
  // The hours of the last SUMMARY_DAYS days that are over: every minute of them is in the past.
  const firstHour = now - (now % HOUR) - hours * HOUR;
  const [customer, busy] = await Promise.all([
    stripe.customers.create({ name: `Bench ${SUMMARY_DAYS}-day customer` }),
    stripe.customers.create({ name: 'Bench busy-hour customer' }),
  ]);
  const run = randomUUID().slice(0, 8);
  const events: StreamEvent[] = [];
  const byHour = new ModelTotals(hours);
  const hourTotals = Array.from({ length: hours }, () => new Quantity(0));
  const both = (id: string, second: number, customerId: string, value: string, combination: number) => {
    const timestamp = new Date(second * 1000).toISOString();
    events.push({ event_name: dimensionedMeter.event_name, identifier: `d${id}`, timestamp, payload: { stripe_customer_id: customerId, value, ...dimensionPayload(combination) } });
    events.push({ event_name: plainMeter.event_name, identifier: `p${id}`, timestamp, payload: { stripe_customer_id: customerId, value } });
  };
  for (let h = 0; h < hours; h++) {
    for (let c = 0; c < COMBINATIONS; c++) {
      const value = valueText(randomValueMillis());
      both(`sum_${run}_${h}_${c}`, firstHour + h * HOUR + Math.floor(Math.random() * HOUR), customer.id, value, c);
      byHour.add(h, c, value);
      hourTotals[h] = hourTotals[h]!.plus(value);
    }
  }
  // The busy hour: the last hour that is over, every combination in every minute.
  const busyHour = now - (now % HOUR) - HOUR;
  for (let m = 0; m < 60; m++) {
    for (let c = 0; c < COMBINATIONS; c++) both(`busy_${run}_${m}_${c}`, busyHour + m * MINUTE + Math.floor(Math.random() * MINUTE), busy.id, valueText(randomValueMillis()), c);
  }
  log();
  log(`summary probe: ${fmt(events.length)} events (${SUMMARY_DAYS} days x 24 hours x ${COMBINATIONS} combinations, and a busy hour of 60 minutes x ${COMBINATIONS}, on both meters) through the pipeline...`);
  const t0 = performance.now();
  await sender.sendAll(events);
  while (!(await stack.drain(30_000))) log(`  still draining: queue ${await stack.poller.depth()} messages`);
  const sendSeconds = (performance.now() - t0) / 1000;

  const range = { customer: customer.id, start_time: firstHour, end_time: firstHour + hours * HOUR, value_grouping_window: 'hour' };
  const plainRuns: Awaited<ReturnType<typeof timedListing>>[] = [];
  const modelRuns: Awaited<ReturnType<typeof timedListing>>[] = [];
  for (let i = 0; i < SUMMARY_REPEATS; i++) {
    plainRuns.push(await timedListing(stripe, plainMeter.id, range));
    modelRuns.push(await timedListing(stripe, dimensionedMeter.id, { ...range, dimension_group_by_keys: ['model'] }));
  }
  // Checked exactly, hour by hour: the hour's total without dimensions, each model's with them.
  const mismatches: string[] = [];
  const hourIndex = (start: number) => (start - firstHour) / HOUR;
  const plainRows = plainRuns[0]!.rows;
  if (plainRows.length !== hours) mismatches.push(`without dimensions: ${plainRows.length} hourly summaries, expected ${hours}`);
  for (const row of plainRows) {
    const h = hourIndex(row.start_time);
    if (!new Quantity(String(row.aggregated_value)).eq(hourTotals[h] ?? new Quantity(NaN))) mismatches.push(`without dimensions, hour ${row.start_time}: ${row.aggregated_value}, expected ${hourTotals[h]?.toFixed()}`);
  }
  const modelRows = modelRuns[0]!.rows;
  if (modelRows.length !== hours * MODELS.length) mismatches.push(`by model: ${modelRows.length} hourly summaries, expected ${hours * MODELS.length}`);
  const rowsOfHour = new Map<number, ModelSummary[]>();
  for (const row of modelRows) rowsOfHour.set(row.start_time, [...(rowsOfHour.get(row.start_time) ?? []), row]);
  for (const [start, rows] of rowsOfHour) {
    const problems = modelMismatches(rows, byHour, hourIndex(start));
    if (problems.length) mismatches.push(`by model, hour ${start}: ${problems.join(', ')}`);
  }

  const itemSize = async (meterId: string) => {
    const out = await stack.services.db.send(new GetCommand({ TableName: stack.services.config.usageTableName, Key: keysFor('test').usageHour(meterId, busy.id, busyHour) }));
    return out.Item ? itemSizeBytes(out.Item) : 0;
  };
  const pick = (runs: typeof plainRuns) => ({ ms: median(runs.map((r) => r.ms)), firstPageMs: median(runs.map((r) => r.firstPageMs)), pages: runs[0]!.pages, rows: runs[0]!.rows.length });
  return {
    events: events.length,
    sendSeconds,
    plain: pick(plainRuns),
    byModel: pick(modelRuns),
    mismatches,
    busyHour: { plainBytes: await itemSize(plainMeter.id), dimensionedBytes: await itemSize(dimensionedMeter.id) },
  };
}

async function main() {
  if (EVENTS < EVENTS_PER_REQUEST) throw new Error(`BENCH_EVENTS must be at least ${EVENTS_PER_REQUEST}`);
  useLocalCredentials();
  if (BATCH_SIZE !== meterConsumer.batchSize) {
    // Experiment only: the local stack reads the batch size from this shared definition.
    (meterConsumer as { batchSize: number }).batchSize = BATCH_SIZE;
  }
  const rss = new RssSampler();
  rss.start();

  // ---------------------------------------------------------------- the stack, instrumented
  const consumerTimer = new InvocationTimer();
  const ingestTimer = new InvocationTimer();
  const consumerStats = { records: 0, failedRecords: 0, crashes: 0 };
  timeServerRequests(ingestTimer, 'POST', STREAM_PATH);
  const stack = await startLocalStack({
    port: 0,
    // What runs on AWS, where SQS itself is durable: no local queue journal.
    durableQueue: false,
    pollerConcurrency: POLLERS,
    usageRollup: ROLLUP,
    wrapConsumer: (handler) => async (event, context) => {
      const t0 = performance.now();
      try {
        const result = await handler(event, context);
        consumerStats.records += event.Records.length;
        consumerStats.failedRecords += result.batchItemFailures.length;
        return result;
      } catch (error) {
        consumerStats.crashes++;
        throw error;
      } finally {
        consumerTimer.add(performance.now() - t0);
      }
    },
  });
  const javaPids = childPids('java');
  const dynamo = new DynamoCounter();
  dynamo.install(stack.services.db);
  const sqs = new SqsCounter();
  sqs.install(stack.services.sqs);

  let exitCode = 0;
  let summary: Record<string, unknown> = {};
  try {
    // ---------------------------------------------------------------- setup (not timed)
    const setupStart = performance.now();
    const now = Math.floor(Date.now() / 1000);
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'bench', livemode: false, now });
    const stripe = localStripe(secret, stack.url);
    const meter = await stripe.billing.meters.create({
      display_name: 'Bench tokens',
      event_name: EVENT_NAME,
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    });
    // Stripe's preview parameter, passed through the SDK as any parameter it has no type for.
    const dimensionedMeter = DIMENSIONS
      ? await stripe.billing.meters.create({
          display_name: 'Bench tokens by model and token type',
          event_name: DIMENSIONED_EVENT_NAME,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
          dimension_payload_keys: [...DIMENSION_KEYS],
        } as Stripe.Billing.MeterCreateParams)
      : undefined;
    const customerIds: string[] = new Array(CUSTOMERS);
    await runPool(CUSTOMERS, 16, async (i) => {
      customerIds[i] = (await stripe.customers.create({ name: `Bench customer ${i}` })).id;
    });
    const sender = new StreamSender(stripe, new URL(stack.url));
    await sender.sessionToken();
    log(`setup: ${CUSTOMERS} customers, meter ${meter.id}${dimensionedMeter ? ` and ${dimensionedMeter.id} (dimensions ${DIMENSION_KEYS.join(', ')})` : ''}, session token in ${fmt((performance.now() - setupStart) / 1000, 1)} s`);
    const bench: Bench = { stack, stripe, sender, customerIds, dynamo, sqs, consumerTimer, ingestTimer, consumerStats, javaPids };

    // ---------------------------------------------------------------- the runs (timed), and what follows them
    const plain = await runPipeline(bench, 'without dimensions', meter.id, EVENT_NAME, false);
    const rollup = ROLLUP
      ? await measureRollup(stack, dynamo, meter.id, customerIds, plain.expected, { start: plain.minSecond - (plain.minSecond % 3600), end: plain.maxSecond - (plain.maxSecond % 3600) + 3600 })
      : undefined;
    const dimensioned = dimensionedMeter ? await runPipeline(bench, `with dimensions (${MODELS.length} models x 2 token types)`, dimensionedMeter.id, DIMENSIONED_EVENT_NAME, true) : undefined;
    const probe = dimensionedMeter ? await probeSummaries(bench, meter, dimensionedMeter) : undefined;
    sender.close();

    // ---------------------------------------------------------------- floor (same run, same DynamoDB Local)
    log(`floor: ${fmt(EVENTS)} claim-sized items with BatchWriteItem (25 per call), ${FLOOR_CONCURRENCY} in flight...`);
    const floor = await runFloor({
      endpoint: stack.dynamoEndpoint,
      region: LOCAL_REGION,
      count: EVENTS,
      concurrency: FLOOR_CONCURRENCY,
      meterId: meter.id,
      customerIds,
      makeValue: () => valueText(randomValueMillis()),
    });

    let conditionalFloor: Awaited<ReturnType<typeof runConditionalFloor>> | undefined;
    if (CONDITIONAL_FLOOR > 0) {
      log(`conditional floor: ${fmt(CONDITIONAL_FLOOR)} claim-sized items, one conditional PutItem each, 64 in flight...`);
      conditionalFloor = await runConditionalFloor({
        endpoint: stack.dynamoEndpoint,
        region: LOCAL_REGION,
        count: CONDITIONAL_FLOOR,
        concurrency: 64,
        meterId: meter.id,
        customerIds,
        makeValue: () => valueText(randomValueMillis()),
      });
    }

    rss.stop();
    const javaRss = javaPids.map((pid) => procRss(pid)).find(Boolean);

    // ---------------------------------------------------------------- report
    const priced = priceRun(plain);
    const ratio = plain.eventsPerSecond / floor.itemsPerSecond;
    reportRun(plain, priced, floor, conditionalFloor);
    log(`  floor: ${fmt(floor.writeUnits)} WRU for ${fmt(floor.items)} items in ${fmt(floor.calls)} calls; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (rollup) {
      const per = (u: number) => (u / EVENTS).toFixed(3);
      log();
      log(`Usage rollup (off the hot path, alongside it): ${fmt(rollup.records)} hourly usage changes in ${fmt(rollup.invocations)} batches, caught up ${fmt(rollup.seconds, 1)} s after the summaries were checked`);
      log(
        table(
          ['part', 'count', 'WRU', 'WRU per event'],
          [
            ['rollup transactions (customer days, meter hours and days; x2 per item)', fmt(rollup.transactions), fmt(rollup.writeUnits), per(rollup.writeUnits)],
            ['re-reads after a failed condition (RRU)', '', fmt(rollup.readUnits), (rollup.readUnits / EVENTS).toFixed(3)],
          ],
        ),
      );
      log(`  ${fmt(rollup.items / Math.max(1, rollup.transactions), 1)} items per transaction, largest rollup item ${rollup.largestItem} B; failures: ${JSON.stringify(rollup.failures)}`);
      log(`  checked: the meter's hours over all customers add up to the exact total (${rollup.totalExact ? 'yes' : 'NO'}), its top 10 customers are the expected ones (${rollup.topExact ? 'yes' : 'NO'})`);
    }

    const dimensionedPriced = dimensioned ? priceRun(dimensioned) : undefined;
    if (dimensioned && dimensionedPriced) {
      reportRun(dimensioned, dimensionedPriced, floor);
      log();
      log(`With and without dimensions, side by side (same run, same customers, ${fmt(EVENTS)} events each; the run with dimensions came second):`);
      const row = (name: string, a: number, b: number, digits: number) => [name, a.toFixed(digits), b.toFixed(digits), a ? (b / a).toFixed(3) : 'n/a'];
      const wruPart = (p: ReturnType<typeof priceRun>, r: PipelineRun) => ({
        claims: (r.dynamoTally.claimUnits + p.conflictUnits) / EVENTS,
        aggregates: p.aggregateUnits / EVENTS,
        markers: p.markerUnits / EVENTS,
      });
      const [a, b] = [wruPart(priced, plain), wruPart(dimensionedPriced, dimensioned)];
      log(
        table(
          ['per event (unless named)', 'without', 'with', 'with / without'],
          [
            row('WRU per event', priced.writeUnits / EVENTS, dimensionedPriced.writeUnits / EVENTS, 3),
            row('  claims and failed claims', a.claims, b.claims, 3),
            row('  hourly usage updates', a.aggregates, b.aggregates, 3),
            row('  apply markers', a.markers, b.markers, 3),
            row('RRU per event', priced.readUnits / EVENTS, dimensionedPriced.readUnits / EVENTS, 3),
            row('  combination checks', priced.combinationReadUnits / EVENTS, dimensionedPriced.combinationReadUnits / EVENTS, 3),
            row('USD per million events', priced.cost.total, dimensionedPriced.cost.total, 4),
            ...priced.cost.lines.map((l, i) => row(`  ${l.item}`, l.usd, dimensionedPriced.cost.lines[i]!.usd, 4)),
            // What the batches' density decides (how many events share an update), and what an update costs.
            row('hourly usage updates per event', plain.dynamoTally.applyUpdates / EVENTS, dimensioned.dynamoTally.applyUpdates / EVENTS, 3),
            row('WRU per hourly usage update', priced.aggregateUnits / Math.max(1, plain.dynamoTally.applyUpdates), dimensionedPriced.aggregateUnits / Math.max(1, dimensioned.dynamoTally.applyUpdates), 3),
            row('largest usage item (B)', plain.largestUsageItem, dimensioned.largestUsageItem, 0),
            row('hourly usage updates per apply transaction', plain.dynamoTally.applyUpdates / Math.max(1, plain.dynamoTally.applyTransactions), dimensioned.dynamoTally.applyUpdates / Math.max(1, dimensioned.dynamoTally.applyTransactions), 1),
            row('SQS payload received (MB)', (plain.sqsTally.bytes.ReceiveMessage ?? 0) / 1e6, (dimensioned.sqsTally.bytes.ReceiveMessage ?? 0) / 1e6, 1),
            row('events/s end to end', plain.eventsPerSecond, dimensioned.eventsPerSecond, 0),
          ],
        ),
      );
    }
    if (probe) {
      log();
      log(`Summary probe: ${fmt(probe.events)} events sent and consumed in ${fmt(probe.sendSeconds, 1)} s; then each listing timed ${SUMMARY_REPEATS} times (median), 100 summaries per page:`);
      log(
        table(
          ['over one customer\'s last 30 days, value_grouping_window=hour', 'summaries', 'pages', 'first page ms', 'all pages ms'],
          [
            ['without dimensions, ungrouped', fmt(probe.plain.rows), fmt(probe.plain.pages), fmt(probe.plain.firstPageMs), fmt(probe.plain.ms)],
            ['with dimensions, dimension_group_by_keys[]=model', fmt(probe.byModel.rows), fmt(probe.byModel.pages), fmt(probe.byModel.firstPageMs), fmt(probe.byModel.ms)],
          ],
        ),
      );
      log(`  checked hour by hour against the exact totals: ${probe.mismatches.length ? `${probe.mismatches.length} MISMATCHES, e.g. ${probe.mismatches.slice(0, 3).join('; ')}` : 'exact'}`);
      const wru = (bytes: number) => 2 * Math.max(1, Math.ceil(bytes / 1024));
      log(`  a busy hour (usage in all 60 minutes, all ${COMBINATIONS} combinations): usage item ${fmt(probe.busyHour.plainBytes)} B without dimensions (${wru(probe.busyHour.plainBytes)} WRU per transactional update), ${fmt(probe.busyHour.dimensionedBytes)} B with (${wru(probe.busyHour.dimensionedBytes)} WRU per update)`);
    }
    log(`memory: bench + stack (Node) peak RSS ${fmt(rss.peakMb)} MB; DynamoDB Local (Java, separate process) peak RSS ${javaRss ? fmt(javaRss.peakMb) : 'n/a'} MB`);

    const failures: string[] = [];
    for (const run of [plain, dimensioned]) {
      if (!run) continue;
      if (run.mismatches.length) failures.push(`${run.label}: ${run.mismatches.length} customers' summaries differ from the exact totals, e.g. ${run.mismatches.slice(0, 3).join('; ')}`);
      if (run.groupMismatches.length) failures.push(`${run.label}: ${run.groupMismatches.length} customers' summaries grouped by model differ from the exact totals, e.g. ${run.groupMismatches.slice(0, 3).join('; ')}`);
      if (run.dlq > 0) failures.push(`${run.label}: ${run.dlq} messages in the dead-letter queue`);
    }
    if (probe?.mismatches.length) failures.push(`the 30-day summaries differ from the exact totals: ${probe.mismatches.slice(0, 3).join('; ')}`);
    if (rollup && (!rollup.totalExact || !rollup.topExact)) failures.push('the usage rollup differs from the exact totals');
    const wruRatio = dimensionedPriced ? dimensionedPriced.writeUnits / priced.writeUnits : undefined;
    const targets = { ratio: ratio >= 0.5, wru_per_event: priced.writeUnits / EVENTS <= 2.2, usd_per_million_events: priced.cost.total <= 1.5 };
    log(
      `targets: ratio >= 0.5 ${targets.ratio ? 'met' : 'MISSED'}; <= 2.2 WRU/event ${targets.wru_per_event ? 'met' : 'MISSED'}; <= $1.50/M events ${targets.usd_per_million_events ? 'met' : 'MISSED'}` +
        (wruRatio === undefined ? '' : `; dimensions <= 1.10 x the WRU/event without ${wruRatio <= 1.1 ? 'met' : 'MISSED'} (${wruRatio.toFixed(3)})`),
    );
    if (failures.length) {
      exitCode = 1;
      for (const f of failures) console.error(`FAIL: ${f}`);
    }
    summary = {
      events_per_s: round(plain.eventsPerSecond, 1),
      floor_events_per_s: round(floor.itemsPerSecond, 1),
      ratio: round(ratio, 3),
      wru_per_event: round(priced.writeUnits / EVENTS, 3),
      usd_per_million_events: round(priced.cost.total, 4),
      peak_rss_mb: round(rss.peakMb, 1),
      events: EVENTS,
      unique_events: plain.uniqueEvents,
      duplicates: plain.duplicates,
      customers: CUSTOMERS,
      rru_per_event: round(priced.readUnits / EVENTS, 3),
      dynamodb_local_peak_rss_mb: javaRss ? round(javaRss.peakMb, 1) : null,
      summaries_exact: plain.mismatches.length === 0,
      largest_usage_item_bytes: plain.largestUsageItem,
      ...(dimensioned &&
        dimensionedPriced &&
        probe && {
          dims_wru_per_event: round(dimensionedPriced.writeUnits / EVENTS, 3),
          dims_usd_per_million_events: round(dimensionedPriced.cost.total, 4),
          dims_wru_ratio: round(wruRatio!, 3),
          dims_usd_ratio: round(dimensionedPriced.cost.total / priced.cost.total, 3),
          dims_rru_per_event: round(dimensionedPriced.readUnits / EVENTS, 3),
          dims_events_per_s: round(dimensioned.eventsPerSecond, 1),
          dims_largest_usage_item_bytes: dimensioned.largestUsageItem,
          // How many events share an hourly usage update (batch density) and what an update costs, apart.
          usage_updates_per_event: round(plain.dynamoTally.applyUpdates / EVENTS, 3),
          dims_usage_updates_per_event: round(dimensioned.dynamoTally.applyUpdates / EVENTS, 3),
          dims_wru_per_usage_update: round(dimensionedPriced.aggregateUnits / Math.max(1, dimensioned.dynamoTally.applyUpdates), 3),
          dims_summaries_exact: dimensioned.mismatches.length === 0 && dimensioned.groupMismatches.length === 0,
          summary_30d_hourly_ms: round(probe.plain.ms, 1),
          dims_summary_30d_hourly_by_model_ms: round(probe.byModel.ms, 1),
          dims_summary_30d_hourly_by_model_first_page_ms: round(probe.byModel.firstPageMs, 1),
          dims_summary_30d_rows: probe.byModel.rows,
          dims_summary_30d_exact: probe.mismatches.length === 0,
          busy_hour_usage_item_bytes: probe.busyHour.plainBytes,
          dims_busy_hour_usage_item_bytes: probe.busyHour.dimensionedBytes,
        }),
      ...(rollup && {
        rollup_wru_per_event: round(rollup.writeUnits / EVENTS, 3),
        rollup_usd_per_million_events: round(rollup.usdPerMillion(EVENTS), 4),
        rollup_seconds: round(rollup.seconds, 1),
        rollup_exact: rollup.totalExact && rollup.topExact,
      }),
      conditional_put_floor_events_per_s: conditionalFloor ? round(conditionalFloor.itemsPerSecond, 1) : null,
      consumer_pollers: POLLERS,
      consumer_batch_size: meterConsumer.batchSize,
    };
  } finally {
    await stack.stop();
  }
  // The billing run (bench/billing.ts) in its own process, so its memory figures are its own.
  if (process.env.BENCH_BILLING !== '0') {
    log();
    const billing = await runBillingChild();
    if (!billing || billing.billing_exact !== true) exitCode = 1;
    Object.assign(summary, billing ?? { billing_exact: false });
  }
  log(JSON.stringify(summary));
  process.exit(exitCode);
}

/**
 * Waits until the usage rollup has caught up with the pipeline's hourly usage changes; its DynamoDB units (by AWS's rules: 2 per transactional item of up to 1 KB) and checks
 * that what it holds is exact: the meter's hours over all customers add up to the total sent, and
 * its top customers are the expected ones.
 */
async function measureRollup(
  stack: Awaited<ReturnType<typeof startLocalStack>>,
  dynamo: DynamoCounter,
  meterId: string,
  customerIds: string[],
  expected: Quantity[],
  hours: { start: number; end: number },
) {
  // It ran alongside the pipeline (its calls counted since the pipeline began): wait until it has caught up.
  const poller = stack.rollupPoller!;
  const before = { handed: 0, invocations: 0, ms: 0 };
  const t0 = performance.now();
  while (!(await stack.drain(30_000))) log('  usage rollup still catching up...');
  const seconds = (performance.now() - t0) / 1000;
  const t = dynamo.snapshot();
  const rollups = stack.services.test.rollups;
  const meter = { id: meterId, livemode: false };
  const totals = await meterUsageTotals(rollups, meter, { ...hours, window: 'hour' });
  const total = totals.reduce((sum, bucket) => sum.plus(String(bucket.aggregated_value)), new Quantity(0));
  const expectedTotal = expected.reduce((a, b) => a.plus(b), new Quantity(0));
  const top = await topCustomers(rollups, meter, { ...hours, limit: 10 });
  const expectedTop = customerIds
    .map((id, i) => [id, expected[i]!] as const)
    .sort(([a, x], [b, y]) => y.comparedTo(x) || (a < b ? -1 : 1))
    .slice(0, 10);
  const topExact = top.length === expectedTop.length && top.every((row, i) => row.customer === expectedTop[i]![0] && new Quantity(String(row.aggregated_value)).eq(expectedTop[i]![1]));
  // The cost model counts 1 KB per rollup item: check the largest one (customer days hold the most).
  let largestItem = 0;
  const out = await stack.services.db.send(
    new QueryCommand({ TableName: stack.services.config.usageTableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': keysFor('test').rollupPartition(meterId) } }),
  );
  for (const item of out.Items ?? []) largestItem = Math.max(largestItem, itemSizeBytes(item));
  const writeUnits = 2 * t.rollupItems * Math.max(1, Math.ceil(largestItem / 1024));
  const invocations = poller.invocations - before.invocations;
  const lambdaUsd = invocations * (PRICES.lambdaPerMillionRequests / 1e6) + gbSeconds(poller.handlerMs - before.ms, usageRollup.memoryMb) * PRICES.lambdaPerGbSecond;
  return {
    records: poller.handed - before.handed,
    invocations,
    seconds,
    transactions: t.rollupTransactions,
    items: t.rollupItems,
    failures: t.rollupFailures,
    writeUnits,
    readUnits: t.rollupReadUnits,
    largestItem,
    totalExact: total.eq(expectedTotal),
    topExact,
    /** DynamoDB writes and reads at on-demand list prices, per million events. */
    usdPerMillion: (events: number) =>
      ((writeUnits * PRICES.dynamoPerMillionWriteUnits + t.rollupReadUnits * PRICES.dynamoPerMillionReadUnits) / 1e6 + lambdaUsd) / events * 1e6,
  };
}

/** Runs bench/billing.ts in a child process, echoing its report; returns its JSON line. */
function runBillingChild(): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./billing.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) last = line;
    });
    child.on('error', reject);
    child.on('close', () => {
      if (pending.trim()) last = pending;
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        resolve(undefined);
      }
    });
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
