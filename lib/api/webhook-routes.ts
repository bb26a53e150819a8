import { pathId, type Route, type RouteContext } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { InvalidRequestError } from '../errors';
import { currentRequest } from '../events/request-context';
import type { ResendRequest } from '../webhooks/resend-event';
import type { ModeServices } from '../services';

/** The request a resend is made for: its key, id and Idempotency-Key name the resend (see resendIdOf). */
function resendRequest(c: RouteContext): ResendRequest {
  const { id, idempotency_key } = currentRequest();
  return { keyId: c.principal.keyId, requestId: id, idempotencyKey: idempotency_key };
}

/**
 * Webhook endpoints (/v1/webhook_endpoints) and, as Meterline extensions, their delivery attempts
 * and resends; the Stripe CLI's `events resend` reaches the same resend.
 */
export function webhookRoutes(s: ModeServices): Route[] {
  const { endpoints } = s.webhooks;
  return [
    { method: 'POST', pattern: '/v1/webhook_endpoints', handle: async (c) => ({ body: await endpoints.create(c.params, c.now, c.principal.livemode) }) },
    { method: 'GET', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.retrieve(pathId(c)) }) },
    { method: 'POST', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.update(c.path.id!, c.params) }) },
    { method: 'DELETE', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.delete(pathId(c)) }) },
    {
      method: 'GET',
      pattern: '/v1/webhook_endpoints',
      handle: async (c) => {
        const query = readListQuery(c.params);
        c.params.done();
        return { body: listResponse(c.url, await endpoints.list(query)) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/webhook_endpoints/:id/attempts',
      handle: async (c) => {
        const query = readListQuery(c.params);
        c.params.done();
        return { body: listResponse(c.url, await endpoints.attempts(c.path.id!, query)) };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/webhook_endpoints/:id/resend',
      handle: async (c) => {
        const event = c.params.string('event', { maxLength: 255 });
        c.params.done();
        const { resend } = await s.webhooks.resend({ endpoint: c.path.id!, event, now: c.now, request: resendRequest(c) });
        return { body: resend };
      },
    },
    {
      // What `stripe events resend evt_… --webhook-endpoint=we_…` calls; answered with the event, as Stripe does.
      method: 'POST',
      pattern: '/v1/events/:id/retry',
      handle: async (c) => {
        c.params.optionalBoolean('for_stripecli');
        const endpoint = c.params.optionalString('webhook_endpoint', { maxLength: 255 });
        c.params.done();
        if (!endpoint) {
          throw new InvalidRequestError('Meterline resends events to webhook endpoints only (it has no Stripe CLI listener): pass webhook_endpoint.', 'webhook_endpoint', 'parameter_missing');
        }
        const names = { endpoint: 'webhook_endpoint', event: 'id' };
        const { event } = await s.webhooks.resend({ endpoint, event: c.path.id!, now: c.now, request: resendRequest(c), names });
        const [shown] = await s.webhooks.withPendingWebhooks([event]);
        return { body: shown };
      },
    },
  ];
}
