import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountKeys, keysFor } from '../../lib/store/keys';
import { useStack } from '../support/stack';
import { attemptsOf, customerCreated, endpointFor, Receiver, sleep, type Answer } from '../fixtures/webhooks';
import { expectInvalid, expectStripeError, nowSeconds, unique } from '../fixtures/stripe';
import type { WebhookResend } from '../../lib/webhooks/model';


describe('resending an event to a webhook endpoint', () => {
  // Retries come a second after a failure, so a resend that were retried would show it within the test.
  const { stack, stripe } = useStack({ webhookFirstRetrySeconds: 1, webhookTimeoutMs: 800 });
  const receivers: Receiver[] = [];

  /** Every endpoint goes, so that the next test starts clean. */
  async function cleanUp() {
    for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) await stripe.webhookEndpoints.del(endpoint.id);
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  }

  const receiver = async (answer?: (n: number) => Answer) => {
    const r = await Receiver.start(answer);
    receivers.push(r);
    return r;
  };

  /** POST /v1/webhook_endpoints/:id/resend through the SDK's rawRequest (it has no method for this Meterline route). */
  const resend = (endpointId: string, params: Record<string, unknown>, options: { idempotencyKey?: string; client?: Stripe } = {}) =>
    (options.client ?? stripe).rawRequest('POST', `/v1/webhook_endpoints/${endpointId}/resend`, params, options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) as Promise<WebhookResend>;

  /** An endpoint for a new receiver and an event it has been delivered once. */
  async function delivered(answer?: (n: number) => Answer) {
    const r = await receiver(answer);
    const endpoint = await endpointFor(stripe, r, ['customer.created']);
    const event = await customerCreated(stack);
    await r.waitFor(event.id);
    return { r, endpoint, event };
  }

  /** Waits until every queue is empty and the stream has nothing new. */
  const settled = async () => expect(await stack.drain(45_000)).toBe(true);

  const resendAttempts = async (endpointId: string) => (await attemptsOf(stack, endpointId)).filter((a) => a.resend !== null);

  describe('deliveries', () => {
    afterEach(cleanUp);

    it('delivers the event once more, signed so that constructEvent verifies it, as an attempt of its own', async () => {
      const { r, endpoint, event } = await delivered();
      const answer = await resend(endpoint.id, { event: event.id });
      expect(answer).toEqual({
        id: expect.stringMatching(/^whrs_[0-9a-f]{24}$/),
        object: 'webhook_resend',
        created: expect.any(Number),
        endpoint: endpoint.id,
        event: event.id,
        event_type: 'customer.created',
        livemode: false,
      });
      const [first, again] = await r.waitFor(event.id, 2);
      expect(r.rejected).toBe(0);
      // The same event; pending_webhooks as of each delivery (the first one was acknowledged meanwhile).
      expect(again!.event).toEqual({ ...first!.event, pending_webhooks: 0 });
      expect(again!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      await expect.poll(() => attemptsOf(stack, endpoint.id)).toMatchObject([
        { object: 'webhook_attempt', event: event.id, attempt: 1, resend: answer.id, status: 'succeeded', http_status: 200, next_retry_at: null },
        { object: 'webhook_attempt', event: event.id, attempt: 1, resend: null, status: 'succeeded', http_status: 200, next_retry_at: null },
      ]);
    });

    it('makes a single attempt: a resend that fails is not retried', async () => {
      // The automatic delivery succeeds; every later request fails.
      const { r, endpoint, event } = await delivered((n) => (n === 1 ? 200 : 500));
      const answer = await resend(endpoint.id, { event: event.id });
      await r.waitFor(event.id, 2);
      await expect.poll(() => resendAttempts(endpoint.id)).toMatchObject([
        { resend: answer.id, attempt: 1, status: 'failed', http_status: 500, response_body: 'failed with 500', next_retry_at: null },
      ]);
      // Past the first retry's delay (1 s here), nothing more came.
      await sleep(2500);
      await settled();
      expect(r.requests).toBe(2);
      expect(await attemptsOf(stack, endpoint.id)).toHaveLength(2);
    });

    it('queues nothing the second time for the same Idempotency-Key; a request without the key is a new resend', async () => {
      const { r, endpoint, event } = await delivered();
      const key = unique('resend');
      const first = await resend(endpoint.id, { event: event.id }, { idempotencyKey: key });
      const second = await resend(endpoint.id, { event: event.id }, { idempotencyKey: key });
      expect(second).toEqual(first);
      await r.waitFor(event.id, 2);
      await settled();
      expect(r.of(event.id)).toHaveLength(2);
      expect((await resendAttempts(endpoint.id)).map((a) => a.resend)).toEqual([first.id]);

      // The SDK gives each call its own key: another request, another resend.
      const other = await resend(endpoint.id, { event: event.id });
      expect(other.id).not.toBe(first.id);
      await r.waitFor(event.id, 3);
      await settled();
      expect((await resendAttempts(endpoint.id)).map((a) => a.resend)).toEqual([other.id, first.id]);
    });

    it('records the resend once when the same request runs again after its answer was lost', async () => {
      const { r, endpoint, event } = await delivered();
      const key = unique('resend');
      const first = await resend(endpoint.id, { event: event.id }, { idempotencyKey: key });
      // As if the first run had stored no answer (a crash after its write): the HTTP layer has nothing to replay, the route runs again.
      const principal = await stack.services.apiKeys.verify(stack.secretKey, Date.now());
      await stack.services.db.send(new DeleteCommand({ TableName: stack.services.config.mainTableName, Key: accountKeys.idempotency(principal!.keyId, key) }));
      const again = await resend(endpoint.id, { event: event.id }, { idempotencyKey: key });
      expect(again).toEqual(first);
      await r.waitFor(event.id, 2);
      await settled();
      expect(r.of(event.id)).toHaveLength(2);
      expect((await resendAttempts(endpoint.id)).map((a) => a.resend)).toEqual([first.id]);
    });

    it('is reached by the Stripe CLI\'s `events resend --webhook-endpoint` and answers the event', async () => {
      const { r, endpoint, event } = await delivered();
      const answer = (await stripe.rawRequest('POST', `/v1/events/${event.id}/retry`, { webhook_endpoint: endpoint.id })) as Stripe.Event;
      expect(answer).toMatchObject({ id: event.id, object: 'event', type: 'customer.created', pending_webhooks: 0 });
      await r.waitFor(event.id, 2);
      await expect.poll(() => resendAttempts(endpoint.id)).toMatchObject([{ event: event.id, status: 'succeeded' }]);
      // Without an endpoint the CLI would want its own listener, which Meterline does not have.
      await expectInvalid(stripe.rawRequest('POST', `/v1/events/${event.id}/retry`, { for_stripecli: 'true' }), 'webhook_endpoint', 'parameter_missing');
      await expectStripeError(stripe.rawRequest('POST', '/v1/events/evt_missing/retry', { webhook_endpoint: endpoint.id }), Stripe.errors.StripeInvalidRequestError, {
        statusCode: 404,
        code: 'resource_missing',
        param: 'id',
      });
      await expectInvalid(stripe.rawRequest('POST', `/v1/events/${event.id}/retry`, { webhook_endpoint: 'we_missing' }), 'webhook_endpoint', 'resource_missing');
    });

  });

  describe('bad requests', () => {
    /** Every bad request below is made with this endpoint and event unless it says otherwise. */
    let r: Receiver;
    let endpoint: Stripe.WebhookEndpoint;
    let event: Stripe.Event;
    /** Requests the receiver had when the test began. */
    let requests = 0;
    beforeAll(async () => {
      ({ r, endpoint, event } = await delivered());
    });
    beforeEach(() => {
      requests = r.requests;
    });
    afterAll(cleanUp);

    /** After a refused request nothing was queued: no request came, no resend attempt was recorded. */
    async function expectNothingResent() {
      await settled();
      expect(r.requests).toBe(requests);
      expect(await resendAttempts(endpoint.id)).toEqual([]);
    }

    it.each([
      { name: 'a missing event', params: {}, param: 'event', code: 'parameter_missing' },
      { name: 'an empty event', params: { event: '' }, param: 'event', code: 'parameter_missing' },
      { name: 'an unknown event', params: { event: 'evt_0000000000000000000000' }, param: 'event', code: 'resource_missing' },
      { name: 'an event id of 256 characters', params: { event: `evt_${'x'.repeat(252)}` }, param: 'event' },
      { name: 'an unknown parameter', params: { event: 'EVENT', attempt: '2' }, param: 'attempt', code: 'parameter_unknown' },
    ])('rejects $name, naming the parameter, and queues nothing', async ({ params, param, code }) => {
      const withEvent = params.event === 'EVENT' ? { ...params, event: event.id } : params;
      await expectInvalid(resend(endpoint.id, withEvent), param, code);
      await expectNothingResent();
    });

    it('answers 404 for an unknown or deleted endpoint', async () => {
      for (const id of ['we_missing', (await stripe.webhookEndpoints.del((await stripe.webhookEndpoints.create({ url: 'https://example.com/x', enabled_events: ['*'] })).id)).id]) {
        await expectStripeError(resend(id, { event: event.id }), Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing', param: 'id' });
      }
      await expectNothingResent();
    });

    it('refuses a disabled endpoint', async () => {
      await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
      try {
        const error = await expectInvalid(resend(endpoint.id, { event: event.id }), undefined, 'webhook_endpoint_disabled');
        expect(error.message).toContain('disabled');
      } finally {
        await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
      }
      await expectNothingResent();
    });

    it('refuses an event older than the 30 days events are kept, even before TTL has removed it', async () => {
      const old = await customerCreated(stack, 'Old');
      await r.waitFor(old.id);
      // As if it had been recorded 31 days ago: expired, not yet removed.
      await stack.services.db.send(
        new UpdateCommand({
          TableName: stack.services.config.mainTableName,
          Key: keysFor('test').object('event', old.id),
          UpdateExpression: 'SET expires_at = :x',
          ExpressionAttributeValues: { ':x': nowSeconds() - 86_400 },
        }),
      );
      requests = r.requests;
      const error = await expectInvalid(resend(endpoint.id, { event: old.id }), 'event', 'resource_missing');
      expect(error.message).toContain('30 days');
      await expectNothingResent();
    });

    it('refuses an event the endpoint does not take: a type it is not subscribed to, or from before it existed', async () => {
      const other = await stripe.webhookEndpoints.create({ url: 'https://example.com/invoices', enabled_events: ['invoice.paid'] });
      await expectInvalid(resend(other.id, { event: event.id }), 'event', 'parameter_invalid');
      const later = await stripe.webhookEndpoints.create({ url: 'https://example.com/later', enabled_events: ['*'] });
      await expectInvalid(resend(later.id, { event: event.id }), 'event', 'parameter_invalid');
      await expectNothingResent();
    });

    it('needs a secret key: a read_only key may not resend', async () => {
      const { secret } = await stack.services.apiKeys.create({ type: 'restricted', name: 'support', livemode: false, scopes: ['read_only'], now: nowSeconds() });
      await expectStripeError(resend(endpoint.id, { event: event.id }, { client: stack.client(secret) }), Stripe.errors.StripePermissionError, { statusCode: 403 });
      await expectNothingResent();
    });

    it('keeps the modes apart: a live key finds neither the test endpoint nor the test event', async () => {
      const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now: nowSeconds() });
      const live = stack.client(secret);
      await expectStripeError(resend(endpoint.id, { event: event.id }, { client: live }), Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing', param: 'id' });
      const liveEndpoint = await live.webhookEndpoints.create({ url: 'https://example.com/live', enabled_events: ['*'] });
      try {
        await expectInvalid(resend(liveEndpoint.id, { event: event.id }, { client: live }), 'event', 'resource_missing');
      } finally {
        await live.webhookEndpoints.del(liveEndpoint.id);
      }
      await expectNothingResent();
    });
  });
});
