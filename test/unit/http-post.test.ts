import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHttpPost, RESPONSE_EXCERPT_BYTES, type PostOptions } from '../../lib/webhooks/http-post';
import { NonPublicAddressError } from '../../lib/webhooks/public-address';

/** A receiver on 127.0.0.1 whose answer each test sets, recording what reached it. */
let server: Server;
let port: number;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(req, res);
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});
beforeEach(() => {
  received.length = 0;
  answer = (_req, res) => res.end('ok');
});

const options = (overrides: Partial<PostOptions> = {}): PostOptions => ({
  headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=ab' },
  body: '{"id":"evt_1"}',
  timeoutMs: 2000,
  publicOnly: false,
  ...overrides,
});

describe('webhook POSTs over node:http', () => {
  it('sends the body and headers and gives back the status and the start of the answer', async () => {
    const post = makeHttpPost();
    answer = (_req, res) => res.writeHead(201).end('x'.repeat(10_000));
    expect(await post(`http://127.0.0.1:${port}/hooks`, options())).toEqual({ status: 201, body: 'x'.repeat(RESPONSE_EXCERPT_BYTES) });
    expect(received).toEqual([{ path: '/hooks', headers: expect.objectContaining({ 'stripe-signature': 't=1,v1=ab', 'content-length': '14' }), body: '{"id":"evt_1"}' }]);

    answer = (_req, res) => res.writeHead(204).end();
    expect(await post(`http://127.0.0.1:${port}/hooks`, options())).toEqual({ status: 204, body: null });
  });

  it('does not follow a redirect', async () => {
    answer = (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end();
    expect((await makeHttpPost()(`http://127.0.0.1:${port}/hooks`, options())).status).toBe(302);
    expect(received.map((r) => r.path)).toEqual(['/hooks']);
  });

  it('fails with a timeout when no answer comes in time, and keeps the status of an answer whose body stalls', async () => {
    const post = makeHttpPost();
    answer = () => undefined;
    await expect(post(`http://127.0.0.1:${port}/hooks`, options({ timeoutMs: 200 }))).rejects.toMatchObject({ name: 'AbortError' });

    answer = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    expect(await post(`http://127.0.0.1:${port}/hooks`, options({ timeoutMs: 200 }))).toEqual({ status: 200, body: 'partial' });
  });

  it('connects public-only deliveries to public addresses only: the socket itself resolves and checks the name', async () => {
    // hooks.test is known to this resolver only, so reaching the check shows the socket used it.
    const resolved: string[] = [];
    const post = makeHttpPost(async (host) => {
      resolved.push(host);
      return host === 'hooks.test' ? ['127.0.0.1'] : [];
    });
    const refused = post(`http://hooks.test:${port}/hooks`, options({ publicOnly: true }));
    await expect(refused).rejects.toBeInstanceOf(NonPublicAddressError);
    await expect(refused).rejects.toThrow('hooks.test resolves to 127.0.0.1, which is not a public address');
    expect(resolved).toEqual(['hooks.test']);

    // Address literals never go through a lookup: they are checked before connecting.
    await expect(post(`http://127.0.0.1:${port}/hooks`, options({ publicOnly: true }))).rejects.toThrow('127.0.0.1 is not a public address');
    await expect(post(`http://[::1]:${port}/hooks`, options({ publicOnly: true }))).rejects.toBeInstanceOf(NonPublicAddressError);
    expect(received).toEqual([]);

    // Without the restriction (test mode), the same receiver is reached.
    expect((await post(`http://127.0.0.1:${port}/hooks`, options())).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('resolves again for every connection, so a name pointed elsewhere later is checked again', async () => {
    let calls = 0;
    const post = makeHttpPost(async () => (++calls === 1 ? ['127.0.0.1'] : ['10.0.0.7']));
    await expect(post(`http://hooks.test:${port}/a`, options({ publicOnly: true }))).rejects.toThrow('127.0.0.1');
    await expect(post(`http://hooks.test:${port}/b`, options({ publicOnly: true }))).rejects.toThrow('10.0.0.7');
    expect(calls).toBe(2);
  });
});
