import { route, type Route, type RouteContext } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import { currentRequest } from '../events/request-context';
import type { ResendRequest } from '../webhooks/resend-event';
import type { ModeServices } from '../services';
import * as schemas from './schemas/webhooks';

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
  const { webhooks } = s;
  const { endpoints } = webhooks;
  return [
    route('POST', '/v1/webhook_endpoints', schemas.createWebhookEndpoint, (command, c) => endpoints.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/webhook_endpoints/:id', noParams, (_, c) => endpoints.retrieve(c.path.id!)),
    route('POST', '/v1/webhook_endpoints/:id', schemas.updateWebhookEndpoint, (command, c) => endpoints.update(c.path.id!, command)),
    route('DELETE', '/v1/webhook_endpoints/:id', noParams, (_, c) => endpoints.delete(c.path.id!)),
    route('GET', '/v1/webhook_endpoints', schemas.listPage, async ({ page }, c) => listResponse(c.url, await endpoints.list(page))),
    route('GET', '/v1/webhook_endpoints/:id/attempts', schemas.listPage, async ({ page }, c) => listResponse(c.url, await endpoints.attempts(c.path.id!, page))),
    route('POST', '/v1/webhook_endpoints/:id/resend', schemas.resendEvent, async ({ event }, c) => (await webhooks.resend({ endpoint: c.path.id!, event, now: c.now, request: resendRequest(c) })).resend),
    route('POST', '/v1/events/:id/retry', schemas.retryEvent, (command, c) => webhooks.retryEvent(c.path.id!, command, c.now, resendRequest(c))),
  ];
}
