import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import type { StripeEvent } from '../../lib/events/events';
import { attemptsOf, customerCreated, endpointFor, Receiver, sleep, type Answer } from '../fixtures/webhooks';

/** How long a receiver may take in this suite (the dispatcher's timeout, shortened). */
const TIMEOUT_MS = 800;

describe('webhooks', () => {
  const { stack, stripe } = useStack({ webhookFirstRetrySeconds: 1, webhookTimeoutMs: TIMEOUT_MS });
  const receivers: Receiver[] = [];

  afterEach(async () => {
    // Every endpoint goes, so that retries still queued are dropped and the next test starts clean.
    for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) await stripe.webhookEndpoints.del(endpoint.id);
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const receiver = async (answer?: (n: number) => Answer) => {
    const r = await Receiver.start(answer);
    receivers.push(r);
    return r;
  };

  describe('endpoints', () => {
    it('shows the signing secret once, in the answer to create', async () => {
      const created = await stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks',
        enabled_events: ['invoice.finalized', 'billing.alert.triggered'],
        description: 'Billing hooks',
        metadata: { team: 'billing' },
      });
      expect(created).toMatchObject({
        object: 'webhook_endpoint',
        api_version: null,
        application: null,
        description: 'Billing hooks',
        enabled_events: ['invoice.finalized', 'billing.alert.triggered'],
        livemode: false,
        metadata: { team: 'billing' },
        status: 'enabled',
        url: 'https://example.com/hooks',
      });
      expect(created.id).toMatch(/^we_/);
      expect(created.secret).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
      expect(typeof created.created).toBe('number');

      const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
      const { secret: _secret, ...shown } = created;
      expect(retrieved).toEqual(shown);
      expect(retrieved).not.toHaveProperty('secret');
      const listed = await stripe.webhookEndpoints.list();
      expect(listed.data.map((e) => e.id)).toEqual([created.id]);
      expect(listed.data[0]).not.toHaveProperty('secret');
      const updated = await stripe.webhookEndpoints.update(created.id, { description: 'changed' });
      expect(updated).not.toHaveProperty('secret');
    });

    it('updates url, enabled_events, status, description and metadata', async () => {
      const created = await stripe.webhookEndpoints.create({ url: 'https://example.com/a', enabled_events: ['*'], metadata: { a: '1', b: '2' } });
      const updated = await stripe.webhookEndpoints.update(created.id, {
        url: 'https://example.com/b',
        enabled_events: ['customer.created', 'customer.updated'],
        disabled: true,
        description: 'second',
        metadata: { a: '', c: '3' },
      });
      expect(updated).toMatchObject({
        url: 'https://example.com/b',
        enabled_events: ['customer.created', 'customer.updated'],
        status: 'disabled',
        description: 'second',
        metadata: { b: '2', c: '3' },
      });
      expect((await stripe.webhookEndpoints.update(created.id, { disabled: false, description: '' })).status).toBe('enabled');
      expect((await stripe.webhookEndpoints.retrieve(created.id)).description).toBeNull();
    });

    it('keeps every change of concurrent updates: none overwrites another', async () => {
      const created = await stripe.webhookEndpoints.create({ url: 'https://example.com/a', enabled_events: ['*'] });
      await Promise.all([0, 1, 2, 3].map((i) => stripe.webhookEndpoints.update(created.id, { metadata: { [`k${i}`]: String(i) } })));
      expect((await stripe.webhookEndpoints.retrieve(created.id)).metadata).toEqual({ k0: '0', k1: '1', k2: '2', k3: '3' });
    });

    it('lists newest first, a page at a time', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await stripe.webhookEndpoints.create({ url: `https://example.com/${i}`, enabled_events: ['*'] })).id);
      const first = await stripe.webhookEndpoints.list({ limit: 2 });
      expect(first.data.map((e) => e.id)).toEqual([ids[2], ids[1]]);
      expect(first.has_more).toBe(true);
      const second = await stripe.webhookEndpoints.list({ limit: 2, starting_after: ids[1] });
      expect(second.data.map((e) => e.id)).toEqual([ids[0]]);
      expect(second.has_more).toBe(false);
    });

    it('deletes an endpoint: gone from retrieve and list', async () => {
      const created = await stripe.webhookEndpoints.create({ url: 'https://example.com/x', enabled_events: ['*'] });
      expect(await stripe.webhookEndpoints.del(created.id)).toEqual({ id: created.id, object: 'webhook_endpoint', deleted: true });
      await expect(stripe.webhookEndpoints.retrieve(created.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
      await expect(stripe.webhookEndpoints.del(created.id)).rejects.toMatchObject({ statusCode: 404 });
      expect((await stripe.webhookEndpoints.list()).data).toEqual([]);
    });
  });

  describe('deliveries', () => {
    it('delivers an event created by an API call, signed so that constructEvent verifies it', async () => {
      const r = await receiver();
      const endpoint = await endpointFor(stripe, r, ['customer.created']);
      const event = await customerCreated(stack);
      const [delivery] = await r.waitFor(event.id);
      expect(r.rejected).toBe(0);
      // pending_webhooks: this endpoint had not acknowledged it yet when it was sent (the API's count depends on when it is read).
      expect(delivery!.event).toEqual({ ...event, pending_webhooks: 1 });
      expect(delivery!.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(delivery!.headers['user-agent']).toMatch(/^Stripe\/1\.0 \(\+https:\/\/stripe\.com\/docs\/webhooks\)/);
      expect(delivery!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      await expect.poll(() => attemptsOf(stack, endpoint.id)).toMatchObject([
        { object: 'webhook_attempt', event: event.id, event_type: 'customer.created', attempt: 1, status: 'succeeded', http_status: 200, error: null, response_body: 'ok', next_retry_at: null },
      ]);
    });

    it('delivers only the types an endpoint enabled (`*` is every type)', async () => {
      const [customers, invoices, everything] = await Promise.all([receiver(), receiver(), receiver()]);
      await endpointFor(stripe, customers, ['customer.updated', 'customer.created']);
      await endpointFor(stripe, invoices, ['invoice.paid']);
      await endpointFor(stripe, everything, ['*']);
      const event = await customerCreated(stack);
      await Promise.all([customers.waitFor(event.id), everything.waitFor(event.id)]);
      expect(await stack.drain(45_000)).toBe(true);
      expect(invoices.requests).toBe(0);
    });

    it('delivers nothing to a disabled endpoint, nor to a deleted one', async () => {
      const [control, disabled, deleted] = await Promise.all([receiver(), receiver(), receiver()]);
      await endpointFor(stripe, control);
      await stripe.webhookEndpoints.update((await endpointFor(stripe, disabled)).id, { disabled: true });
      await stripe.webhookEndpoints.del((await endpointFor(stripe, deleted)).id);
      const event = await customerCreated(stack);
      await control.waitFor(event.id);
      expect(await stack.drain(45_000)).toBe(true);
      expect(disabled.requests).toBe(0);
      expect(deleted.requests).toBe(0);
    });

    it('delivers nothing that happened before the endpoint was created', async () => {
      const earlier = await customerCreated(stack);
      await sleep(1100); // a whole second later: creation times compare to the second
      const r = await receiver();
      await endpointFor(stripe, r);
      // Handed to enqueue again now that the endpoint exists (as a late stream retry would).
      await stack.services.test.webhooks.enqueue([earlier as unknown as StripeEvent], stack.services.nowMs());
      const later = await customerCreated(stack);
      await r.waitFor(later.id);
      expect(await stack.drain(45_000)).toBe(true);
      expect(r.of(earlier.id)).toEqual([]);
    });

    it('counts pending_webhooks: the endpoints that take the event and have not answered it with a 2xx', async () => {
      let failing = true;
      const [ok, flaky, elsewhere] = await Promise.all([receiver(), receiver(() => (failing ? 500 : 200)), receiver()]);
      await endpointFor(stripe, ok, ['customer.created']);
      await endpointFor(stripe, flaky, ['*']);
      await endpointFor(stripe, elsewhere, ['invoice.paid']);
      const event = await customerCreated(stack);
      // At its send, neither endpoint had acknowledged the event.
      const [toOk] = await ok.waitFor(event.id);
      expect(toOk!.event.pending_webhooks).toBe(2);
      await flaky.waitFor(event.id);
      await expect.poll(async () => (await stripe.events.retrieve(event.id)).pending_webhooks).toBe(1);

      failing = false;
      const [, retried] = await flaky.waitFor(event.id, 2);
      expect(retried!.event.pending_webhooks).toBe(1);
      await expect.poll(async () => (await stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
      expect((await stripe.events.list({ type: 'customer.created', limit: 1 })).data[0]).toMatchObject({ id: event.id, pending_webhooks: 0 });
      expect(elsewhere.requests).toBe(0);
    });

    it('retries an endpoint that answered 500, and the attempts show the failure then the success', async () => {
      const r = await receiver((n) => (n === 1 ? 500 : 200));
      const endpoint = await endpointFor(stripe, r, ['customer.created']);
      const event = await customerCreated(stack);
      const [first, second] = await r.waitFor(event.id, 2);
      // The retry waits the first retry delay (1 s here), and is signed again.
      expect(Number(second!.headers['stripe-signature']!.toString().slice(2, 12))).toBeGreaterThanOrEqual(Number(first!.headers['stripe-signature']!.toString().slice(2, 12)));
      await expect.poll(() => attemptsOf(stack, endpoint.id).then((a) => a.length)).toBe(2);
      const [success, failure] = await attemptsOf(stack, endpoint.id);
      expect(failure).toMatchObject({ attempt: 1, status: 'failed', http_status: 500, response_body: 'failed with 500', error: null, event: event.id });
      expect(failure!.next_retry_at).toBeGreaterThanOrEqual(failure!.created + 1);
      expect(success).toMatchObject({ attempt: 2, status: 'succeeded', http_status: 200, next_retry_at: null, event: event.id });
      expect(success!.created).toBeGreaterThanOrEqual(failure!.next_retry_at - 1);
    });

    it('retries an endpoint that did not answer in time', async () => {
      const r = await receiver((n) => (n === 1 ? { hang: TIMEOUT_MS * 3 } : 200));
      const endpoint = await endpointFor(stripe, r, ['customer.created']);
      const event = await customerCreated(stack);
      await r.waitFor(event.id, 2);
      await expect.poll(() => attemptsOf(stack, endpoint.id).then((a) => a.length)).toBe(2);
      const [success, timeout] = await attemptsOf(stack, endpoint.id);
      expect(timeout).toMatchObject({ attempt: 1, status: 'failed', http_status: null, error: `timed out after ${TIMEOUT_MS} ms` });
      expect(timeout!.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(success).toMatchObject({ attempt: 2, status: 'succeeded' });
    });

    it('backs off on an endpoint that keeps failing, and stops once it is deleted', async () => {
      const r = await receiver(() => 503);
      const endpoint = await endpointFor(stripe, r, ['customer.created']);
      const event = await customerCreated(stack);
      // Attempts at 0, +1 s, +2 s: three within ~3 s.
      await r.waitFor(event.id, 3, 10_000);
      await expect.poll(() => attemptsOf(stack, endpoint.id).then((a) => a.length)).toBeGreaterThanOrEqual(3);
      // Newest first; the waits double from 1 s (whole seconds: created rounds down, next_retry_at up).
      const [third, second, first] = (await attemptsOf(stack, endpoint.id)).slice(-3);
      expect([first!.attempt, second!.attempt, third!.attempt]).toEqual([1, 2, 3]);
      expect(first!.next_retry_at - first!.created).toBeOneOf([1, 2]);
      expect(second!.next_retry_at - second!.created).toBeOneOf([2, 3]);
      expect(third!.next_retry_at - third!.created).toBeOneOf([4, 5]);
      await stripe.webhookEndpoints.del(endpoint.id);
      expect(await stack.drain(45_000)).toBe(true);
      expect(r.of(event.id).length).toBeLessThanOrEqual(4);
    });

    it('counts a refused connection as a failed attempt', async () => {
      const r = await receiver();
      const endpoint = await endpointFor(stripe, r, ['customer.created']);
      await r.close();
      const event = await customerCreated(stack);
      await expect.poll(() => attemptsOf(stack, endpoint.id).then((a) => a.length), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      const [attempt] = await attemptsOf(stack, endpoint.id);
      expect(attempt).toMatchObject({ event: event.id, status: 'failed', http_status: null });
      expect(attempt!.error).toBe('the connection was refused');
    });
  });
});
