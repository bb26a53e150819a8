import { API_VERSION, MAX_DESCRIPTION_LENGTH, MAX_ENABLED_EVENTS, MAX_URL_LENGTH } from '../../webhooks/webhook-endpoints';
import { listParams, p, params } from '../../http/schema';

/** POST /v1/webhook_endpoints (the URL's scheme and host are checked by the capability, which knows the mode). */
export const createWebhookEndpoint = params({
  url: p.string({ maxLength: MAX_URL_LENGTH }),
  enabled_events: p.optionalStringList(MAX_ENABLED_EVENTS),
  api_version: p.optionalString({ maxLength: 50, pattern: API_VERSION }),
  connect: p.optionalBoolean(),
  description: p.nullableString({ maxLength: MAX_DESCRIPTION_LENGTH }),
  metadata: p.metadata(),
});

/** POST /v1/webhook_endpoints/:id. */
export const updateWebhookEndpoint = params({
  url: p.optionalString({ maxLength: MAX_URL_LENGTH }),
  enabled_events: p.optionalStringList(MAX_ENABLED_EVENTS),
  disabled: p.optionalBoolean(),
  description: p.nullableString({ maxLength: MAX_DESCRIPTION_LENGTH }),
  metadata: p.metadata(),
});

/** GET /v1/webhook_endpoints and GET /v1/webhook_endpoints/:id/attempts. */
export const listPage = listParams();

/** POST /v1/webhook_endpoints/:id/resend (Meterline's extension). */
export const resendEvent = params({ event: p.string({ maxLength: 255 }) });

/** POST /v1/events/:id/retry. */
export const retryEvent = params({
  for_stripecli: p.optionalBoolean(),
  webhook_endpoint: p.optionalString({ maxLength: 255 }),
});
