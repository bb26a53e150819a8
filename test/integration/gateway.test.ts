import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lib/local/gateway';
import { useStack } from '../support/stack';

/** Sends the headers and `sent` bytes of a body announced as `length` bytes, and waits for the answer. */
function partialPost(url: string, path: string, headers: Record<string, string>, length: number, sent: number) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(length) } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write('x'.repeat(sent));
    // The rest of the body never comes: only an answer given before reading it can arrive.
  });
}

describe('the local gateway', () => {
  const { stack } = useStack();

  it('refuses a body over API Gateway\'s 10 MB limit without reading it', async () => {
    const answer = await partialPost(stack.url, '/v1/customers', { authorization: `Bearer ${stack.secretKey}` }, MAX_BODY_BYTES + 1, 10);
    expect(answer).toEqual({ status: 413, body: JSON.stringify({ message: 'Request Entity Too Large' }) });
  });

  it('answers a request without a valid key before reading its body', async () => {
    const missing = await partialPost(stack.url, '/v1/customers', {}, 1_000_000, 10);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body).error).toMatchObject({ type: 'invalid_request_error', code: 'api_key_missing' });
    const wrong = await partialPost(stack.url, '/v1/billing/meter_events', { authorization: 'Bearer sk_test_notakeyatall' }, 1_000_000, 10);
    expect(wrong.status).toBe(401);
  });
});
