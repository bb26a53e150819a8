import type { Metadata, MetadataUpdate } from '../domain/metadata';
import type { PageQuery } from '../store/objects';

/** POST /v1/webhook_endpoints. */
export interface CreateWebhookEndpointCommand {
  url: string;
  enabled_events?: string[];
  api_version?: string;
  connect?: boolean;
  description?: string | null;
  metadata?: MetadataUpdate;
}

/** POST /v1/webhook_endpoints/:id. */
export interface UpdateWebhookEndpointCommand {
  url?: string;
  enabled_events?: string[];
  disabled?: boolean;
  description?: string | null;
  metadata?: MetadataUpdate;
}

/** POST /v1/events/:id/retry (what the Stripe CLI's `events resend` calls). */
export interface RetryEventCommand {
  for_stripecli?: boolean;
  webhook_endpoint?: string;
}

/** A page of a list that takes no filter. */
export interface PageCommand {
  page: PageQuery;
}

/** A webhook endpoint as the API shows it (Stripe's `webhook_endpoint`); its secret is stored apart. */
export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  /** Event types delivered to the endpoint; `*` is every type. */
  enabled_events: string[];
  livemode: boolean;
  metadata: Metadata;
  status: 'enabled' | 'disabled';
  url: string;
}

/** What the create call answers: the only time the signing secret is shown. */
export type CreatedWebhookEndpoint = WebhookEndpoint & { secret: string };

export interface DeletedWebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  created: number;
  deleted: true;
}

/**
 * One delivery attempt of an event to an endpoint (Meterline extension, listed under
 * GET /v1/webhook_endpoints/:id/attempts; Stripe shows these in its dashboard only).
 */
export interface WebhookAttempt {
  id: string;
  object: 'webhook_attempt';
  /** Unix seconds the attempt ended. */
  created: number;
  endpoint: string;
  event: string;
  event_type: string;
  /** 1 for the first attempt (a resend's one attempt is 1 too). */
  attempt: number;
  /** The resend this attempt made (`whrs_…`, POST /v1/webhook_endpoints/:id/resend); null for the automatic attempts. */
  resend: string | null;
  /** `succeeded`: the endpoint answered 2xx; `failed`: anything else, a network error or a timeout. */
  status: 'succeeded' | 'failed';
  /** The endpoint's HTTP status; null when it never answered. */
  http_status: number | null;
  /** Why a failed attempt failed when the endpoint gave no status (timeout, connection refused). */
  error: string | null;
  duration_ms: number;
  /** The first bytes of the endpoint's answer. */
  response_body: string | null;
  /** Unix seconds of the next attempt; null when delivered or given up. */
  next_retry_at: number | null;
  livemode: boolean;
}

/**
 * A resend of an event to an endpoint (Meterline extension, the answer to
 * POST /v1/webhook_endpoints/:id/resend; Stripe's Dashboard has "Resend"): one more delivery,
 * made once, signed like every other and listed with the endpoint's attempts (`resend` names it).
 */
export interface WebhookResend {
  /** `whrs_…`, derived from the request that asked for it: a retry of that request finds it. */
  id: string;
  object: 'webhook_resend';
  created: number;
  endpoint: string;
  event: string;
  event_type: string;
  livemode: boolean;
}

/** A message on the webhook deliveries queue: one attempt of one event to one endpoint. */
export interface DeliveryMessage {
  /** The event id (the dispatcher reads the event, so a message stays small whatever the event's size). */
  event: string;
  /** The endpoint id. */
  endpoint: string;
  /** The mode of the event and the endpoint: the dispatcher reads them with that mode's keys. */
  livemode: boolean;
  /** 1 for the first attempt. */
  attempt: number;
  /** Milliseconds the delivery was first queued; retries stop `giveUpAfterSeconds` after it. */
  first_attempt_at: number;
  /** Milliseconds before which the attempt must not be made (waits longer than SQS's 15 min delay). */
  not_before?: number;
  /** The resend this message delivers: a single attempt, never retried (as Stripe's manual resend). */
  resend?: string;
}

/** A delivery message from a queue body; throws when the body is not one. */
export function parseDeliveryMessage(body: string): DeliveryMessage {
  const value = JSON.parse(body) as Partial<DeliveryMessage> | null;
  if (
    typeof value !== 'object' || value === null ||
    typeof value.event !== 'string' || typeof value.endpoint !== 'string' || typeof value.livemode !== 'boolean' ||
    !Number.isInteger(value.attempt) || (value.attempt ?? 0) < 1 ||
    typeof value.first_attempt_at !== 'number' ||
    (value.not_before !== undefined && typeof value.not_before !== 'number') ||
    (value.resend !== undefined && typeof value.resend !== 'string')
  ) {
    throw new Error('not a webhook delivery message');
  }
  return {
    event: value.event,
    endpoint: value.endpoint,
    livemode: value.livemode,
    attempt: value.attempt!,
    first_attempt_at: value.first_attempt_at,
    ...(value.not_before === undefined ? {} : { not_before: value.not_before }),
    ...(value.resend === undefined ? {} : { resend: value.resend }),
  };
}
