import { describe, expect, it, vi } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { makeWebhookDispatcherHandler } from '../../lib/queue/webhook-dispatcher-handler';
import { keysFor } from '../../lib/store/keys';

const keys = keysFor('test');
import { makeDispatch, type DispatchDeps } from '../../lib/webhooks/dispatch';
import { endpointTakes } from '../../lib/webhooks/enqueue-deliveries';
import type { DeliveryMessage, WebhookAttempt, WebhookEndpoint } from '../../lib/webhooks/model';
import type { WebhookStore } from '../../lib/webhooks/webhook-store';
import type { Post, PostAnswer } from '../../lib/webhooks/http-post';
import { NonPublicAddressError } from '../../lib/webhooks/public-address';
import type { StripeEvent } from '../../lib/events/events';

const T0 = Date.UTC(2026, 10, 21, 12);
const policy = { firstRetrySeconds: 30, maxRetryDelaySeconds: 6 * 3600, giveUpAfterSeconds: 3 * 86_400 };

function endpointOf(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: 'we_0VbcAAAAxxxxxxxxxxxxxxxx',
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: T0 / 1000,
    description: null,
    enabled_events: ['*'],
    livemode: false,
    metadata: {},
    status: 'enabled',
    url: 'https://example.com/hooks',
    ...overrides,
  };
}

function eventOf(overrides: Partial<StripeEvent> = {}): StripeEvent {
  return {
    id: 'evt_0VbcBBBByyyyyyyyyyyyyyyy',
    object: 'event',
    api_version: '2026-10-28.endive',
    created: T0 / 1000,
    data: { object: { id: 'cus_1' } },
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type: 'customer.created',
    ...overrides,
  };
}

const message = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  event: eventOf().id,
  endpoint: endpointOf().id,
  livemode: false,
  attempt: 1,
  first_attempt_at: T0,
  ...overrides,
});

/** A dispatcher over an in-memory table, queue and receiver. */
function harness(options: { answer?: () => Promise<PostAnswer>; endpoint?: WebhookEndpoint | null; recordFails?: boolean; now?: number; privateTestUrls?: boolean } = {}) {
  const items = new Map<string, Record<string, unknown>>();
  const put = (key: { pk: string; sk: string }, rest: Record<string, unknown>) => items.set(`${key.pk}|${key.sk}`, { ...key, ...rest });
  const endpoint = options.endpoint === undefined ? endpointOf() : options.endpoint;
  if (endpoint) {
    put(keys.object('webhook_endpoint', endpoint.id), { object: endpoint, secret: 'whsec_test' });
    put(keys.webhookEndpoints(), { endpoints: [endpoint], version: 1 });
  }
  put(keys.object('event', eventOf().id), { object: eventOf() });
  const attempts: WebhookAttempt[] = [];
  const delivered: string[] = [];
  const store = {
    objects: { keys, getItems: async (wanted: { pk: string; sk: string }[]) => wanted.flatMap((k) => items.get(`${k.pk}|${k.sk}`) ?? []) },
    markDelivered: async (event: string, endpointId: string) => void delivered.push(`${event}|${endpointId}`),
    recordAttempt: async (attempt: WebhookAttempt) => {
      if (options.recordFails) throw new Error('ProvisionedThroughputExceededException');
      const key = keys.webhookAttempt(attempt.endpoint, attempt.event, attempt.attempt);
      if (items.has(`${key.pk}|${key.sk}`)) return false;
      put(key, { object: attempt });
      attempts.push(attempt);
      return true;
    },
  } as unknown as WebhookStore;
  const sent: { body: DeliveryMessage; delaySeconds: number }[] = [];
  const postMock = vi.fn<Post>(options.answer ?? (async () => ({ status: 200, body: 'ok' })));
  const deps: DispatchDeps = {
    store,
    queue: { sendDelayed: async (body, delaySeconds) => void sent.push({ body: JSON.parse(body), delaySeconds }) },
    policy,
    timeoutMs: 1000,
    nowMs: () => options.now ?? T0,
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
    post: postMock,
    publicOnly: (livemode) => livemode || !(options.privateTestUrls ?? true),
  };
  return { dispatch: makeDispatch(deps), sent, attempts, delivered, postMock, put };
}

const queued = (...messages: (DeliveryMessage | string)[]) =>
  messages.map((m, i) => ({ messageId: `m${i}`, body: typeof m === 'string' ? m : JSON.stringify(m) }));

describe('dispatch', () => {
  it('POSTs the event JSON (pending_webhooks counting this endpoint), signed, and records a success', async () => {
    const h = harness();
    const result = await h.dispatch(queued(message()));
    expect(result).toMatchObject({ failedMessageIds: [], counts: { delivered: 1 } });
    const [url, sent] = h.postMock.mock.calls[0]!;
    expect(url).toBe('https://example.com/hooks');
    expect(sent.body).toBe(JSON.stringify({ ...eventOf(), pending_webhooks: 1 }));
    expect(h.delivered).toEqual([`${eventOf().id}|${endpointOf().id}`]);
    expect(sent.headers['stripe-signature']).toMatch(new RegExp(`^t=${T0 / 1000},v1=[0-9a-f]{64}$`));
    expect(sent).toMatchObject({ timeoutMs: 1000, publicOnly: false });
    expect(h.attempts).toMatchObject([{ attempt: 1, status: 'succeeded', http_status: 200, next_retry_at: null }]);
    expect(h.sent).toEqual([]);
  });

  it('queues the next attempt as a new delayed message after a failure, and acknowledges this one', async () => {
    const h = harness({ answer: async () => ({ status: 500, body: 'nope' }) });
    const result = await h.dispatch(queued(message()));
    expect(result.failedMessageIds).toEqual([]);
    expect(h.sent).toEqual([{ body: { ...message(), attempt: 2, not_before: T0 + 30_000 }, delaySeconds: 30 }]);
    expect(h.attempts[0]).toMatchObject({ status: 'failed', http_status: 500, response_body: 'nope', next_retry_at: T0 / 1000 + 30 });
    expect(h.delivered).toEqual([]);
  });

  it('sends a live delivery to public addresses only, and records a refused one as not sent', async () => {
    const live = endpointOf({ livemode: true, url: 'https://hooks.example.com/in' });
    const refused = new NonPublicAddressError('hooks.example.com resolves to 10.0.0.7, which is not a public address');
    const inner = harness({ endpoint: live, answer: async () => Promise.reject(refused) });
    await inner.dispatch(queued(message()));
    expect(inner.postMock.mock.calls[0]![1].publicOnly).toBe(true);
    expect(inner.attempts[0]).toMatchObject({ status: 'failed', http_status: null, error: 'not sent: hooks.example.com resolves to 10.0.0.7, which is not a public address' });
    expect(inner.sent).toHaveLength(1);

    // Test mode is limited where deployed, not in the local stack.
    const deployed = harness({ privateTestUrls: false });
    await deployed.dispatch(queued(message()));
    expect(deployed.postMock.mock.calls[0]![1].publicOnly).toBe(true);
  });

  it('counts a redirect as a failure (redirects are not followed)', async () => {
    const h = harness({ answer: async () => ({ status: 302, body: null }) });
    await h.dispatch(queued(message()));
    expect(h.attempts[0]).toMatchObject({ status: 'failed', http_status: 302 });
  });

  it('records a network error without a status', async () => {
    const h = harness({ answer: async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' })) });
    await h.dispatch(queued(message()));
    expect(h.attempts[0]).toMatchObject({ status: 'failed', http_status: null, error: 'the host name does not resolve' });
  });

  it('gives up when the next attempt would fall after 3 days', async () => {
    const late = T0 + 3 * 86_400_000 - 1000;
    const h = harness({ answer: async () => ({ status: 503, body: null }), now: late });
    const result = await h.dispatch(queued(message({ attempt: 20 })));
    expect(result.counts).toMatchObject({ failed: 1, gaveUp: 1, retried: 0 });
    expect(h.sent).toEqual([]);
    expect(h.attempts[0]!.next_retry_at).toBeNull();
  });

  it('puts back a message that is not due yet, for what is left of its wait (at most 15 minutes)', async () => {
    const h = harness();
    const result = await h.dispatch(queued(message({ attempt: 12, not_before: T0 + 6 * 3600_000 })));
    expect(result.counts.deferred).toBe(1);
    expect(h.postMock).not.toHaveBeenCalled();
    expect(h.sent).toEqual([{ body: message({ attempt: 12, not_before: T0 + 6 * 3600_000 }), delaySeconds: 900 }]);
  });

  it('delivers nothing to a disabled or deleted endpoint', async () => {
    for (const endpoint of [endpointOf({ status: 'disabled' }), null]) {
      const h = harness({ endpoint });
      expect((await h.dispatch(queued(message()))).counts.skipped).toBe(1);
      expect(h.postMock).not.toHaveBeenCalled();
    }
  });

  it('does not repeat an attempt already recorded, but makes sure its retry is queued', async () => {
    const h = harness();
    const earlier = { ...message(), id: 'whatt_1', next_retry_at: T0 / 1000 + 30 } as unknown as WebhookAttempt;
    h.put(keys.webhookAttempt(message().endpoint, message().event, 1), { object: earlier });
    const result = await h.dispatch(queued(message()));
    expect(result.counts.repeated).toBe(1);
    expect(h.postMock).not.toHaveBeenCalled();
    expect(h.sent).toEqual([{ body: { ...message(), attempt: 2, not_before: T0 + 30_000 }, delaySeconds: 30 }]);
    expect(h.delivered).toEqual([]);
  });

  it('does not repeat a successful attempt already recorded, but makes sure the event counts as delivered to the endpoint', async () => {
    const h = harness();
    const earlier = { ...message(), id: 'whatt_1', status: 'succeeded', created: T0 / 1000, next_retry_at: null } as unknown as WebhookAttempt;
    h.put(keys.webhookAttempt(message().endpoint, message().event, 1), { object: earlier });
    expect((await h.dispatch(queued(message()))).counts.repeated).toBe(1);
    expect(h.postMock).not.toHaveBeenCalled();
    expect(h.delivered).toEqual([`${eventOf().id}|${endpointOf().id}`]);
    expect(h.sent).toEqual([]);
  });

  it('leaves a message on the queue when our side fails, and a body that is no delivery', async () => {
    const h = harness({ recordFails: true });
    const result = await h.dispatch(queued(message(), 'not json', JSON.stringify({ event: 'evt_1' })));
    expect(result.failedMessageIds.sort()).toEqual(['m0', 'm1', 'm2']);
  });
});

describe('the dispatcher handler', () => {
  it('reports the failed messages as batch item failures', async () => {
    const handler = makeWebhookDispatcherHandler({
      of: () => ({ webhooks: { dispatch: async () => ({ failedMessageIds: ['b'], counts: { delivered: 1, failed: 0, retried: 0, gaveUp: 0, skipped: 0, deferred: 0, repeated: 0 } }) } }),
      logger: { debug: () => undefined },
    });
    const event = { Records: [{ messageId: 'a', body: '{}' }, { messageId: 'b', body: '{}' }] } as unknown as SQSEvent;
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
  });
});

describe('which endpoints take an event', () => {
  it('matches the type or *, the mode, the status, and events from the second the endpoint was created', () => {
    const endpoint = endpointOf({ id: 'we_0VbcBBBB0000000000000000' });
    const event = eventOf({ id: 'evt_0VbcBBBB0000000000000000' });
    expect(endpointTakes(endpoint, event)).toBe(true);
    expect(endpointTakes({ ...endpoint, enabled_events: ['invoice.paid'] }, event)).toBe(false);
    expect(endpointTakes({ ...endpoint, enabled_events: ['invoice.paid', 'customer.created'] }, event)).toBe(true);
    expect(endpointTakes({ ...endpoint, status: 'disabled' }, event)).toBe(false);
    expect(endpointTakes({ ...endpoint, livemode: true }, event)).toBe(false);
    // An event made minutes before the endpoint (ids carry their creation ms).
    expect(endpointTakes(endpoint, eventOf({ id: 'evt_0Vbc9999000000000000000' }))).toBe(false);
  });
});
