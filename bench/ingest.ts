/**
 * `npm run bench`: pushes meter events through the whole local pipeline (gateway -> ingest
 * handler -> SQS (fauxqs) -> poller -> consumer handler -> DynamoDB Local), checks that the
 * usage summaries reflect every event exactly, measures a BatchWriteItem floor on the same
 * DynamoDB Local, and prices the run with AWS's rules. The last line of stdout is one JSON object.
 *
 * Environment: BENCH_EVENTS (default 200000), BENCH_CUSTOMERS (1000), BENCH_CONCURRENCY (requests
 * in flight, 16), BENCH_POLLERS (consumer invocations in flight, 2 as the local stack), BENCH_DUPLICATES (0.1),
 * BENCH_FLOOR_CONCURRENCY (defaults to BENCH_CONCURRENCY),
 * BENCH_BATCH_SIZE (experiment: overrides meterConsumer.batchSize of lib/store/resources.ts for
 * this process only), BENCH_CONDITIONAL_FLOOR (items for the conditional-put reference, default
 * min(BENCH_EVENTS, 50000); 0 skips it).
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
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Quantity } from '../lib/domain/quantity';
import { LOCAL_REGION, useLocalCredentials } from '../lib/local/emulators';
import { startLocalStack } from '../lib/local/stack';
import { MAX_STREAM_EVENTS } from '../lib/metering/record-meter-events';
import { keysFor } from '../lib/store/keys';
import { meterUsageTotals, topCustomers } from '../lib/metering/usage-totals';
import { meterConsumer, usageRollup } from '../lib/store/resources';
import { fmt, localStripe, log, numberEnv } from './support/cli';
import { costPerMillion, gbSeconds, PRICES, round, table } from './support/cost';
import { claimLikeItem, runConditionalFloor, runFloor } from './support/floor';
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
const STREAM_PATH = '/v2/billing/meter_event_stream';

/** A meter event value: a decimal with three places in [0.001, 99.999]. */
function randomValueMillis(): number {
  return 1 + Math.floor(Math.random() * 99_999);
}
const valueText = (millis: number) => `${Math.floor(millis / 1000)}.${String(millis % 1000).padStart(3, '0')}`;

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
    const { hostname, port } = new URL(stack.url);
    const stripe = localStripe(secret, stack.url);
    const meter = await stripe.billing.meters.create({
      display_name: 'Bench tokens',
      event_name: EVENT_NAME,
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    });
    const customerIds: string[] = new Array(CUSTOMERS);
    await runPool(CUSTOMERS, 16, async (i) => {
      customerIds[i] = (await stripe.customers.create({ name: `Bench customer ${i}` })).id;
    });

    /** Meter event session tokens last 15 minutes: renewed a minute before they expire. */
    let session = { token: '', expiresMs: 0 };
    let renewing: Promise<void> | undefined;
    const sessionToken = async (force = false): Promise<string> => {
      if (force || Date.now() > session.expiresMs - 60_000) {
        renewing ??= (async () => {
          const created = await stripe.v2.billing.meterEventSession.create();
          session = { token: created.authentication_token, expiresMs: Date.parse(created.expires_at as unknown as string) };
        })().finally(() => (renewing = undefined));
        await renewing;
      }
      return session.token;
    };
    await sessionToken();
    log(`setup: ${CUSTOMERS} customers, meter ${meter.id}, session token in ${fmt((performance.now() - setupStart) / 1000, 1)} s`);

    // ---------------------------------------------------------------- the events
    const requests = Math.ceil(EVENTS / EVENTS_PER_REQUEST);
    // Unique events, by sequence number: customer, value (thousandths), timestamp (seconds).
    const eventCustomer = new Uint16Array(EVENTS);
    const eventMillis = new Uint32Array(EVENTS);
    const eventSecond = new Float64Array(EVENTS);
    const acked = new Int32Array(EVENTS);
    let ackedCount = 0;
    let nextSeq = 0;
    let duplicates = 0;
    const expected = Array.from({ length: CUSTOMERS }, () => new Quantity(0));
    const run = randomUUID().slice(0, 8);
    const identifier = (seq: number) => `bench_${run}_${seq}`;
    const eventJson = (seq: number) => ({
      event_name: EVENT_NAME,
      identifier: identifier(seq),
      timestamp: new Date(eventSecond[seq]! * 1000).toISOString(),
      payload: { stripe_customer_id: customerIds[eventCustomer[seq]!]!, value: valueText(eventMillis[seq]!) },
    });
    let minSecond = Infinity;
    let maxSecond = 0;

    /** The body of request `r`: DUPLICATE_SHARE of its events repeat an identifier sent (and accepted) earlier. */
    function buildRequest(r: number): { body: string; fresh: number[] } {
      const size = Math.min(EVENTS_PER_REQUEST, EVENTS - r * EVENTS_PER_REQUEST);
      const second = Math.floor(Date.now() / 1000);
      const dupEvery = DUPLICATE_SHARE > 0 ? Math.round(1 / DUPLICATE_SHARE) : Infinity;
      const events: ReturnType<typeof eventJson>[] = [];
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
        eventCustomer[seq] = customer;
        eventMillis[seq] = millis;
        eventSecond[seq] = second;
        expected[customer] = expected[customer]!.plus(valueText(millis));
        fresh.push(seq);
        events.push(eventJson(seq));
      }
      minSecond = Math.min(minSecond, second);
      maxSecond = Math.max(maxSecond, second);
      return { body: JSON.stringify({ events }), fresh };
    }

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const post = (token: string, body: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            agent,
            host: hostname,
            port: Number(port),
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

    // ---------------------------------------------------------------- timed: the pipeline
    // With BENCH_ROLLUP=1 the usage rollup runs alongside the pipeline, as its own Lambda does on
    // AWS: its DynamoDB calls are counted apart (part 'rollup').
    dynamo.reset();
    sqs.reset();
    consumerTimer.reset();
    ingestTimer.reset();
    Object.assign(consumerStats, { records: 0, failedRecords: 0, crashes: 0 });
    const crashesBefore = stack.poller.crashes;
    let httpRequests = 0;
    let retries = 0;
    log(`pipeline: ${fmt(EVENTS)} events in ${fmt(requests)} requests of ${EVENTS_PER_REQUEST}, ${CONCURRENCY} in flight, ${POLLERS} consumer pollers, batch size ${meterConsumer.batchSize} messages`);
    const cpu0 = { node: process.cpuUsage(), java: procCpuSeconds(javaPids[0] ?? 0), machine: machineBusySeconds() };
    const t0 = performance.now();
    let lastReport = t0;
    let sentRequests = 0;
    await runPool(requests, CONCURRENCY, async (r) => {
      const { body, fresh } = buildRequest(r);
      let token = await sessionToken();
      for (let attempt = 0; ; attempt++) {
        httpRequests++;
        let reply: { status: number; text: string };
        try {
          reply = await post(token, body);
        } catch (error) {
          if (attempt >= 3) throw error;
          retries++;
          await sleep(100 * 2 ** attempt);
          continue;
        }
        if (reply.status === 200) break;
        if (reply.status === 401 && attempt < 3 && reply.text.includes('session_expired')) {
          token = await sessionToken(true);
          retries++;
          continue;
        }
        if (reply.status >= 500 && attempt < 3) {
          retries++;
          await sleep(100 * 2 ** attempt);
          continue;
        }
        throw new Error(`POST ${STREAM_PATH} answered ${reply.status}: ${reply.text}`);
      }
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
    agent.destroy();
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

    // The clock stops once the summaries, read through the API, equal the exact totals.
    const start = minSecond - (minSecond % 60);
    const end = maxSecond - (maxSecond % 60) + 60;
    const mismatches: string[] = [];
    let checked = 0;
    await runPool(CUSTOMERS, 16, async (c) => {
      const page = await stripe.billing.meters.listEventSummaries(meter.id, { customer: customerIds[c]!, start_time: start, end_time: end });
      const got = page.data.reduce((sum, s) => sum.plus(String(s.aggregated_value)), new Quantity(0));
      if (!got.eq(expected[c]!)) mismatches.push(`${customerIds[c]}: summaries say ${got.toFixed()}, expected ${expected[c]!.toFixed()}`);
      checked++;
    });
    const tVerified = performance.now();
    // The cost model counts 1 KB per hourly usage item: check the largest item written.
    let largestUsageItem = 0;
    await runPool(CUSTOMERS, 16, async (c) => {
      const out = await stack.services.db.send(
        new QueryCommand({
          TableName: stack.services.config.usageTableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': keysFor('test').usagePartition(meter.id, customerIds[c]!) },
        }),
      );
      for (const item of out.Items ?? []) largestUsageItem = Math.max(largestUsageItem, itemSizeBytes(item));
    });
    const rollup = ROLLUP ? await measureRollup(stack, dynamo, meter.id, customerIds, expected, { start: minSecond - (minSecond % 3600), end: maxSecond - (maxSecond % 3600) + 3600 }) : undefined;
    const dlq = await stack.dlqDepth();
    const crashes = stack.poller.crashes - crashesBefore;
    const uniqueEvents = nextSeq;
    const expectedTotal = expected.reduce((a, b) => a.plus(b), new Quantity(0));

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
    const seconds = (tVerified - t0) / 1000;
    const eventsPerSecond = EVENTS / seconds;
    const ratio = eventsPerSecond / floor.itemsPerSecond;
    // A claim put whose condition fails still consumes write capacity on AWS (the size of the
    // larger of the existing and the new item, here under 1 KB): 1 unit each. DynamoDB Local
    // returns no ConsumedCapacity with the exception, so it is added from the count.
    const claimItem = claimLikeItem(identifier(0), meter.id, customerIds[0]!, '99.999', now, Date.now());
    const claimUnitsEach = Math.max(1, Math.ceil(itemSizeBytes(claimItem) / 1024));
    const conflictUnits = Math.max(dynamoTally.claimConflictUnitsReported, dynamoTally.claimConflicts * claimUnitsEach);
    // Units are counted from each call's ConsumedCapacity by bench/support/meters.ts (see there
    // how DynamoDB Local's figures are turned into AWS's).
    // Apply transactions: 2 units per item and KB (AWS), from the items counted and the largest
    // usage item read back; markers are ~100 bytes.
    const markerUnits = dynamoTally.applyMarkers * 2;
    const aggregateUnits = dynamoTally.applyUpdates * 2 * Math.max(1, Math.ceil(largestUsageItem / 1024));
    const writeUnits = dynamoTally.claimUnits + conflictUnits + markerUnits + aggregateUnits + dynamoTally.otherWriteUnits;
    const readUnits = dynamoTally.markerReadUnits + dynamoTally.otherReadUnits;
    const cost = costPerMillion({
      events: EVENTS,
      httpRequests,
      sqsBilledRequests: billedSqsRequests(sqsTally),
      ingestInvocations: ingestTimer.count,
      ingestBilledMs: ingestTimer.billedMs,
      ingestMemoryMb: INGEST_MEMORY_MB,
      consumerInvocations: consumerTimer.count,
      consumerBilledMs: consumerTimer.billedMs,
      consumerMemoryMb: meterConsumer.memoryMb,
      writeUnits,
      readUnits,
    });

    log();
    log(`pipeline: ${fmt(EVENTS)} events (${fmt(uniqueEvents)} unique, ${fmt(duplicates)} duplicates) for ${CUSTOMERS} customers`);
    log(`  accepted by the API in ${fmt((tSent - t0) / 1000, 1)} s, consumed by ${fmt((tDrained - t0) / 1000, 1)} s, summaries checked by ${fmt(seconds, 1)} s`);
    log(`  ${fmt(eventsPerSecond)} events/s end to end; floor ${fmt(floor.itemsPerSecond)} items/s (${fmt(floor.seconds, 1)} s, ${floor.unprocessedRetries} unprocessed retries); ratio ${ratio.toFixed(2)}`);
    if (conditionalFloor) {
      log(`  reference: one conditional PutItem per event on the same DynamoDB Local: ${fmt(conditionalFloor.itemsPerSecond)} items/s (${fmt(conditionalFloor.items)} items); pipeline / that = ${(eventsPerSecond / conditionalFloor.itemsPerSecond).toFixed(2)}`);
    }
    log(`  consumer: ${fmt(consumerTimer.count)} invocations, ${fmt(consumerStats.records / Math.max(1, consumerTimer.count), 1)} messages (${fmt((consumerStats.records * EVENTS_PER_REQUEST) / Math.max(1, consumerTimer.count))} events) each on average, ${fmt(consumerTimer.totalMs / Math.max(1, consumerTimer.count))} ms mean, ${fmt(consumerTimer.maxMs)} ms max; ${consumerStats.failedRecords} messages returned, ${crashes} crashed invocations, DLQ ${dlq}`);
    log(`  ingest: ${fmt(ingestTimer.count)} invocations, ${fmt(ingestTimer.totalMs / Math.max(1, ingestTimer.count), 1)} ms mean server-side; ${httpRequests} HTTP requests (${retries} retries)`);
    log(`  CPU while the pipeline ran (cores, of ${availableParallelism()}): Node (bench client, gateway, handlers, fauxqs, poller) ${cpuShare.node.toFixed(2)}, DynamoDB Local (Java) ${cpuShare.java.toFixed(2)}, other processes on the machine ${Math.max(0, cpuShare.machine - cpuShare.node - cpuShare.java).toFixed(2)}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    log(`  summaries: ${checked} customers checked, total ${expectedTotal.toFixed()}, ${mismatches.length} mismatches`);
    log();
    log('Cost per million events (AWS list prices, us-east-1, arm64):');
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
    log(`What exactly-once costs, in DynamoDB write units (claim item ${itemSizeBytes(claimItem)} B = ${claimUnitsEach} WRU):`);
    const per = (u: number) => (u / EVENTS).toFixed(3);
    const otherUnits = dynamoTally.otherWriteUnits;
    log(
      table(
        ['part', 'count', 'WRU', 'WRU per event'],
        [
          ['claims (conditional INSERT per unique identifier)', fmt(dynamoTally.claims), fmt(dynamoTally.claimUnits), per(dynamoTally.claimUnits)],
          ['duplicates: failed conditional claim inserts', fmt(dynamoTally.claimConflicts), fmt(conflictUnits), per(conflictUnits)],
          ['aggregates: hourly usage updates (transactional, x2)', fmt(dynamoTally.applyUpdates), fmt(aggregateUnits), per(aggregateUnits)],
          ['apply markers (transactional, x2)', fmt(dynamoTally.applyMarkers), fmt(markerUnits), per(markerUnits)],
          ['other writes', '', fmt(otherUnits), per(otherUnits)],
          ['total', '', fmt(writeUnits), per(writeUnits)],
        ],
      ),
    );
    log(`  ${fmt(dynamoTally.applyTransactions)} apply transactions (${fmt(dynamoTally.applyUpdates / Math.max(1, dynamoTally.applyTransactions), 1)} usage items each; largest usage item ${largestUsageItem} B, so 1 KB each); failures: ${JSON.stringify(dynamoTally.applyFailures)}`);
    log(`  DynamoDB Local reported ${fmt(dynamoTally.applyUnitsReported / 2)} units for these transactions (not per item): the table counts 2 WRU per item instead`);
    log(`  in-batch duplicates (no DynamoDB call): ${fmt(duplicates - dynamoTally.claimConflicts)}; read units: ${fmt(readUnits)} (marker checks ${fmt(dynamoTally.markerReadUnits)} for ${fmt(dynamoTally.markerReads)} keys; other ${fmt(dynamoTally.otherReadUnits)})`);
    log(`  other calls: ${JSON.stringify(dynamoTally.otherCalls)}; errors: ${JSON.stringify(dynamoTally.errors)}`);
    log(`  DynamoDB time (sum of call latencies): claims ${fmt(dynamoTally.ms.claims / 1000, 1)} s, apply transactions ${fmt(dynamoTally.ms.apply / 1000, 1)} s, marker reads ${fmt(dynamoTally.ms.markerReads / 1000, 1)} s, other ${fmt(dynamoTally.ms.other / 1000, 1)} s`);
    log(`  floor: ${fmt(floor.writeUnits)} WRU for ${fmt(floor.items)} items in ${fmt(floor.calls)} calls`);
    if (rollup) {
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
    log(`memory: bench + stack (Node) peak RSS ${fmt(rss.peakMb)} MB; DynamoDB Local (Java, separate process) peak RSS ${javaRss ? fmt(javaRss.peakMb) : 'n/a'} MB`);

    const failures: string[] = [];
    if (mismatches.length) failures.push(`${mismatches.length} customers' summaries differ from the exact totals, e.g. ${mismatches.slice(0, 3).join('; ')}`);
    if (dlq > 0) failures.push(`${dlq} messages in the dead-letter queue`);
    if (rollup && (!rollup.totalExact || !rollup.topExact)) failures.push('the usage rollup differs from the exact totals');
    const targets = { ratio: ratio >= 0.5, wru_per_event: writeUnits / EVENTS <= 2.2, usd_per_million_events: cost.total <= 1.5 };
    log(`targets: ratio >= 0.5 ${targets.ratio ? 'met' : 'MISSED'}; <= 2.2 WRU/event ${targets.wru_per_event ? 'met' : 'MISSED'}; <= $1.50/M events ${targets.usd_per_million_events ? 'met' : 'MISSED'}`);
    if (failures.length) {
      exitCode = 1;
      for (const f of failures) console.error(`FAIL: ${f}`);
    }
    summary = {
      events_per_s: round(eventsPerSecond, 1),
      floor_events_per_s: round(floor.itemsPerSecond, 1),
      ratio: round(ratio, 3),
      wru_per_event: round(writeUnits / EVENTS, 3),
      usd_per_million_events: round(cost.total, 4),
      peak_rss_mb: round(rss.peakMb, 1),
      events: EVENTS,
      unique_events: uniqueEvents,
      duplicates,
      customers: CUSTOMERS,
      rru_per_event: round(readUnits / EVENTS, 3),
      dynamodb_local_peak_rss_mb: javaRss ? round(javaRss.peakMb, 1) : null,
      summaries_exact: mismatches.length === 0,
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
