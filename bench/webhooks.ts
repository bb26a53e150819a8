/**
 * Webhook delivery bench: events delivered per second by the real dispatcher handler, fed by the
 * SQS emulator through the local poller, signing each event and POSTing it to a local receiver
 * that verifies every delivery with the SDK's `constructEvent`. Beside it, in the same run, a
 * floor: the same signed POSTs, by the same HTTP client, sent straight from a loop (no queue, no DynamoDB). Also the
 * DynamoDB units per delivery (by AWS's rules, bench/support/capacity.ts) and the cost per
 * million deliveries at AWS list prices. Prints one JSON line.
 *
 *   npx tsx bench/webhooks.ts            BENCH_WEBHOOK_DELIVERIES=2000 BENCH_WEBHOOK_POLLERS=4
 */
import { createServer, type Server } from 'node:http';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { newEvent, type StripeEvent } from '../lib/events/events';
import { startLocalStack } from '../lib/local/stack';
import { objectItem } from '../lib/store/objects';
import { mainTable, usageTable, webhookDispatcher } from '../lib/store/resources';
import { signatureHeader } from '../lib/webhooks/signature';
import { USER_AGENT } from '../lib/webhooks/dispatch';
import { makeHttpPost } from '../lib/webhooks/http-post';
import { CapacityCounter, writeUnits } from './support/capacity';
import { intEnv, localStripe, log } from './support/cli';
import { costLine, gbSeconds, PRICES, round } from './support/cost';
import { billedSqsRequests, InvocationTimer, SqsCounter } from './support/meters';
import { runPool } from './support/pool';

const DELIVERIES = intEnv('BENCH_WEBHOOK_DELIVERIES', 2000);
const POLLERS = intEnv('BENCH_WEBHOOK_POLLERS', 4);
/** Events handed to enqueue at once (what one stream batch of the fan-out would carry). */
const ENQUEUE_BATCH = 100;

const verifier = new Stripe('sk_test_verifier', { telemetry: false });

/** A receiver that verifies every request with constructEvent and counts what it accepted. */
async function startReceiver(secretOf: () => string) {
  const seen = new Set<string>();
  let verified = 0;
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const event = verifier.webhooks.constructEvent(Buffer.concat(chunks), String(req.headers['stripe-signature']), secretOf());
        verified++;
        seen.add(event.id);
        res.writeHead(200).end('ok');
      } catch {
        rejected++;
        res.writeHead(400).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  return {
    url,
    counts: () => ({ verified, rejected, distinct: seen.size }),
    reset: () => {
      verified = rejected = 0;
      seen.clear();
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** `n` customer.created events, as the API records them (about 600 bytes each). */
function syntheticEvents(n: number, nowMs: number): StripeEvent[] {
  return Array.from({ length: n }, (_, i) =>
    newEvent({
      type: 'customer.created',
      object: {
        id: `cus_bench${String(i).padStart(8, '0')}`, object: 'customer', created: Math.floor(nowMs / 1000), email: `customer${i}@example.com`,
        name: `Bench customer ${i}`, description: null, phone: null, metadata: { plan: 'pro', region: 'eu-west-1' }, livemode: false, test_clock: null,
      } as { livemode: boolean },
      created: Math.floor(nowMs / 1000),
      nowMs,
    }),
  );
}

async function main() {
  const timer = new InvocationTimer();
  timer.active = false;
  const stack = await startLocalStack({
    port: 0,
    // What runs on AWS, where SQS itself is durable: no local queue journal.
    durableQueue: false,
    pollerConcurrency: POLLERS,
    wrapWebhookDispatcher: (handler) => async (event) => {
      const t0 = performance.now();
      try {
        return await handler(event);
      } finally {
        timer.add(performance.now() - t0);
      }
    },
  });
  const { services } = stack;
  const capacity = new CapacityCounter({ [services.config.mainTableName]: mainTable, [services.config.usageTableName]: usageTable });
  capacity.active = false;
  capacity.install(services.db);
  const sqs = new SqsCounter();
  sqs.install(services.sqs);
  let secret = '';
  const receiver = await startReceiver(() => secret);
  try {
    // ------------------------------------------------------------ setup (not timed)
    const now = () => Math.floor(Date.now() / 1000);
    const key = await services.apiKeys.create({ type: 'secret', name: 'bench', livemode: false, now: now() });
    const stripe = localStripe(key.secret, stack.url);
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    secret = endpoint.secret!;
    // Disabled while the events are written, so that the event fan-out (when the local stack runs
    // it) queues nothing for them: the timed phase hands them to enqueue itself.
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    await new Promise((r) => setTimeout(r, 1100)); // events strictly after the endpoint's second
    const events = syntheticEvents(DELIVERIES, Date.now());
    for (let i = 0; i < events.length; i += 25) {
      const items = events.slice(i, i + 25).map((e) => ({ PutRequest: { Item: objectItem('event', e, { name: 'type', value: e.type }) } }));
      await services.db.send(new BatchWriteCommand({ RequestItems: { [services.config.mainTableName]: items } }));
    }
    if (!(await stack.drain(60_000))) throw new Error('the stack did not settle after the events were written');
    const eventBytes = Buffer.byteLength(JSON.stringify(events[0]));

    // ------------------------------------------------------------ floor: signed POSTs from a loop
    const post = makeHttpPost();
    let t0 = performance.now();
    await runPool(events.length, POLLERS * webhookDispatcher.batchSize, async (i) => {
      const body = JSON.stringify(events[i]);
      const headers = { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT, 'stripe-signature': signatureHeader(secret, body, now()) };
      await post(receiver.url, { headers, body, timeoutMs: 10_000, publicOnly: false });
    });
    const floorSeconds = (performance.now() - t0) / 1000;
    if (receiver.counts().verified !== DELIVERIES) throw new Error(`floor: ${JSON.stringify(receiver.counts())}`);
    receiver.reset();

    // ------------------------------------------------------------ timed: enqueue + dispatcher
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    capacity.reset();
    capacity.active = true;
    sqs.reset();
    timer.reset();
    timer.active = true;
    t0 = performance.now();
    for (let i = 0; i < events.length; i += ENQUEUE_BATCH) await services.test.webhooks.enqueue(events.slice(i, i + ENQUEUE_BATCH), Date.now());
    const enqueueSeconds = (performance.now() - t0) / 1000;
    while (receiver.counts().distinct < DELIVERIES && performance.now() - t0 < 110_000) await new Promise((r) => setTimeout(r, 10));
    const deliverSeconds = (performance.now() - t0) / 1000;
    if (!(await stack.drain(30_000))) throw new Error('the deliveries queue did not drain');
    capacity.active = false;
    timer.active = false;
    const counts = receiver.counts();
    const attempts = await services.test.webhooks.endpoints.attempts(endpoint.id, { limit: 100 });

    // ------------------------------------------------------------ figures
    const cap = capacity.snapshot();
    const sqsTally = sqs.snapshot();
    const n = counts.distinct;
    // The consistent BatchGetItem also looks up each attempt's record, which is missing: AWS
    // charges a consistent read unit for a key that finds nothing; the tally counts only items found.
    const missedLookups = n;
    const readUnits = cap.readUnits + missedLookups;
    const wru = writeUnits(cap);
    const scale = 1e6 / n;
    const lines = [
      costLine('SQS requests (64 KB chunks)', billedSqsRequests(sqsTally), 'requests', PRICES.sqsPerMillionRequests / 1e6, scale),
      costLine('Lambda requests: dispatcher', timer.count, 'invocations', PRICES.lambdaPerMillionRequests / 1e6, scale),
      costLine(`Lambda duration: dispatcher (${webhookDispatcher.memoryMb} MB)`, gbSeconds(timer.billedMs, webhookDispatcher.memoryMb), 'GB-s', PRICES.lambdaPerGbSecond, scale),
      costLine('DynamoDB write request units', wru, 'WRU', PRICES.dynamoPerMillionWriteUnits / 1e6, scale),
      costLine('DynamoDB read request units', readUnits, 'RRU', PRICES.dynamoPerMillionReadUnits / 1e6, scale),
    ];
    const result = {
      bench: 'webhooks',
      deliveries: n,
      verified: counts.verified,
      rejected: counts.rejected,
      duplicates: counts.verified - counts.distinct,
      failedAttempts: attempts.data.filter((a) => a.status === 'failed').length,
      eventBytes,
      pollers: POLLERS,
      enqueueSeconds: round(enqueueSeconds, 3),
      seconds: round(deliverSeconds, 2),
      deliveriesPerSecond: round(n / deliverSeconds, 1),
      floorDeliveriesPerSecond: round(DELIVERIES / floorSeconds, 1),
      ratioToFloor: round(n / deliverSeconds / (DELIVERIES / floorSeconds), 3),
      invocations: timer.count,
      messagesPerInvocation: round(n / timer.count, 2),
      dispatcherMsPerDelivery: round(timer.totalMs / n, 2),
      wruPerDelivery: round(wru / n, 3),
      tableWruPerDelivery: round(cap.tableWriteUnits / n, 3),
      indexWruPerDelivery: round((wru - cap.tableWriteUnits) / n, 3),
      rruPerDelivery: round(readUnits / n, 3),
      sqsBilledRequestsPerDelivery: round(billedSqsRequests(sqsTally) / n, 3),
      usdPerMillionDeliveries: round(lines.reduce((s, l) => s + l.usd, 0), 2),
      costLines: lines.map((l) => ({ item: l.item, perMillion: round(l.scaled, 1), usd: round(l.usd, 3) })),
      note: 'Lambda duration is local wall time of the handler (receiver on the same host); SQS requests include the local poller’s empty long polls.',
    };
    log(JSON.stringify(result));
  } finally {
    await receiver.close();
    await stack.stop();
  }
}

await main();
