import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { stripeFor } from '../support/stack';
import { acceptedRange, customerParams, meterParams } from '../fixtures/stripe';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `npm start` as a user runs it: its own process group, so that a kill takes DynamoDB Local with it. */
async function startMeterline(dataDir: string, port: number, key: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(path.join(process.cwd(), 'node_modules/.bin/tsx'), ['lib/local/main.ts'], {
    cwd: process.cwd(),
    detached: true,
    env: { ...process.env, PORT: String(port), METERLINE_DATA_DIR: dataDir, METERLINE_API_KEY: key, METERLINE_BILLING_SCHEDULE_SECONDS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Meterline is listening on')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output };
}

/** SIGKILL to the whole process group: Node and its DynamoDB Local die at once, with no drain. */
function killHard(child: ChildProcess) {
  process.kill(-child.pid!, 'SIGKILL');
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('a hard kill of the local stack', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'meterline-kill-'));
  let running: ChildProcess | undefined;
  afterAll(async () => {
    if (running && running.exitCode === null) await killHard(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged meter event: after a restart on the same data, resent requests replay and every total is exact', { timeout: 240_000 }, async () => {
    const key = `sk_test_${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    let meterline = await startMeterline(dataDir, port, key);
    running = meterline.child;
    const stripe = stripeFor(`http://127.0.0.1:${port}`, key);
    const customers = await Promise.all([0, 1, 2].map((i) => stripe.customers.create(customerParams(), { idempotencyKey: `customer-${i}` })));
    const meter = await stripe.billing.meters.create(meterParams(), { idempotencyKey: 'meter' });
    const session = await stripe.v2.billing.meterEventSession.create({}, { idempotencyKey: 'session' });

    // 40 stream requests of 100 events each, every one acknowledged before the next is sent.
    const requests = Array.from({ length: 40 }, (_, r) => ({
      idempotencyKey: `stream-${r}`,
      events: Array.from({ length: 100 }, (_, e) => ({
        event_name: meter.event_name,
        identifier: `e-${r}-${e}`,
        payload: { stripe_customer_id: customers[e % 3]!.id, value: String((e % 7) + 1) },
      })),
    }));
    const expected = new Map<string, number>();
    for (const { events } of requests) {
      for (const e of events) expected.set(e.payload.stripe_customer_id, (expected.get(e.payload.stripe_customer_id) ?? 0) + Number(e.payload.value));
    }
    const send = async (client: Stripe) => {
      for (const { idempotencyKey, events } of requests) await client.v2.billing.meterEventStream.create({ events }, { idempotencyKey });
    };
    await send(stripeFor(`http://127.0.0.1:${port}`, session.authentication_token));
    await killHard(meterline.child);

    meterline = await startMeterline(dataDir, port, key);
    running = meterline.child;
    // The requests are sent again with their keys, as a client that saw no answer would.
    await send(stripeFor(`http://127.0.0.1:${port}`, session.authentication_token));
    const range = acceptedRange();
    const totals = async () =>
      Promise.all(
        customers.map(async (c) => (await stripe.billing.meters.listEventSummaries(meter.id, { customer: c.id, start_time: range.start, end_time: range.end })).data[0]?.aggregated_value ?? 0),
      );
    const want = customers.map((c) => expected.get(c.id));
    const deadline = Date.now() + 90_000;
    let seen = await totals();
    while (JSON.stringify(seen) !== JSON.stringify(want) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await totals();
    }
    expect(seen).toEqual(want);
    // The kill came before the consumer's batching window closed: some acknowledged messages were still only in the queue.
    expect(meterline.output()).toMatch(/Recovered [1-9]\d* meter-event message/);
  });
});
