import type { Logger } from '@aws-lambda-powertools/logger';
import { forEachLimited } from '../domain/concurrency';
import { newId } from '../domain/ids';
import { stripeJson } from '../domain/stripe-shapes';
import { nextAttemptAt, queueDelaySeconds, type RetryPolicy } from '../domain/webhook-retry';
import type { StripeEvent } from '../events/events';
import type { Key } from '../store/keys';
import { parseDeliveryMessage, type DeliveryMessage, type WebhookAttempt } from './model';
import { signatureHeader } from './signature';
import { pendingWebhooks } from './pending-webhooks';
import type { Post } from './http-post';
import { NonPublicAddressError } from './public-address';
import { attemptKey, deliveredOf, directoryOf, storedEndpointOf, type StoredEndpoint, type WebhookStore } from './webhook-store';

/** What a receiver sees in `user-agent`: Stripe's, so that code that checks it keeps working, and ours. */
export const USER_AGENT = 'Stripe/1.0 (+https://stripe.com/docs/webhooks) Meterline';
/** A message due within this is attempted now rather than put back for a second. */
const EARLY_TOLERANCE_MS = 1000;

export interface DispatchDeps {
  store: WebhookStore;
  queue: { sendDelayed(body: string, delaySeconds: number): Promise<void> };
  policy: RetryPolicy;
  /** A receiver that has not answered by then has failed. */
  timeoutMs: number;
  nowMs: () => number;
  logger: Pick<Logger, 'debug' | 'warn' | 'error'>;
  /** Sends a signed delivery (lib/webhooks/http-post.ts). */
  post: Post;
  /** Whether an endpoint of this mode may be delivered to at public addresses only. */
  publicOnly: (livemode: boolean) => boolean;
  /** Deliveries in flight at once. @default 10 (a whole batch: each mostly waits on the receiver) */
  concurrency?: number;
}

export interface QueuedDelivery {
  messageId: string;
  body: string;
}

export interface DispatchResult {
  /** Messages to leave on the queue (a crash-like failure: SQS redelivers them, then dead-letters). */
  failedMessageIds: string[];
  counts: { delivered: number; failed: number; retried: number; gaveUp: number; skipped: number; deferred: number; repeated: number };
}

/** What one POST came to. */
export interface Outcome {
  httpStatus: number | null;
  error: string | null;
  responseBody: string | null;
  durationMs: number;
}

/**
 * The webhook dispatcher: for each message, POSTs the event, signed with the endpoint's secret,
 * and records the attempt. A failed attempt (non-2xx, network error, timeout) queues the next
 * one as a new message after the backoff (lib/domain/webhook-retry.ts) and is acknowledged;
 * only errors of our own (DynamoDB, SQS) leave a message to SQS's redelivery and dead-letter
 * queue. Endpoints deleted or disabled meanwhile get nothing. A resend (a message naming one) is
 * a single attempt, as Stripe's manual resend: it is recorded like the others, never retried.
 */
export function makeDispatch(deps: DispatchDeps) {
  /** POSTs `body` to the endpoint, signed now; only at public addresses where required. */
  async function post(stored: StoredEndpoint, body: string): Promise<Outcome> {
    const started = deps.nowMs();
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': USER_AGENT,
      'stripe-signature': signatureHeader(stored.secret, body, Math.floor(started / 1000)),
    };
    try {
      const answer = await deps.post(stored.endpoint.url, { headers, body, timeoutMs: deps.timeoutMs, publicOnly: deps.publicOnly(stored.endpoint.livemode) });
      return { httpStatus: answer.status, error: null, responseBody: answer.body, durationMs: deps.nowMs() - started };
    } catch (error) {
      return { httpStatus: null, error: describeFailure(error, deps.timeoutMs), responseBody: null, durationMs: deps.nowMs() - started };
    }
  }

  /** Queues `message` again to be attempted at `dueAtMs` (in hops of at most 15 minutes). */
  async function queueFor(message: DeliveryMessage, dueAtMs: number, nowMs: number): Promise<void> {
    await deps.queue.sendDelayed(JSON.stringify({ ...message, not_before: dueAtMs }), queueDelaySeconds(dueAtMs, nowMs));
  }

  /** POSTs `event` (its pending_webhooks as of now) and records the attempt, and a 2xx in the event's delivered set. */
  async function attempt(message: DeliveryMessage, stored: StoredEndpoint, event: StripeEvent, counts: DispatchResult['counts']) {
    const outcome = await post(stored, stripeJson(event));
    const endedMs = deps.nowMs();
    const delivered = outcome.httpStatus !== null && outcome.httpStatus >= 200 && outcome.httpStatus < 300;
    const nextMs = delivered || message.resend ? undefined : nextAttemptAt(deps.policy, message.attempt, message.first_attempt_at, endedMs);
    const record: WebhookAttempt = {
      id: newId('webhookAttempt', endedMs),
      object: 'webhook_attempt',
      created: Math.floor(endedMs / 1000),
      endpoint: stored.endpoint.id,
      event: event.id,
      event_type: event.type,
      attempt: message.attempt,
      resend: message.resend ?? null,
      status: delivered ? 'succeeded' : 'failed',
      http_status: outcome.httpStatus,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      response_body: outcome.responseBody,
      next_retry_at: nextMs === undefined ? null : Math.ceil(nextMs / 1000),
      livemode: event.livemode,
    };
    // Both at once; a receive after a crash between them finds the attempt and marks it again.
    const [recorded] = await Promise.all([deps.store.recordAttempt(record), delivered && deps.store.markDelivered(event.id, stored.endpoint.id, record.created)]);
    // Another receive of the same message recorded (and queued) this attempt already.
    if (!recorded) {
      counts.repeated++;
      return;
    }
    if (delivered) counts.delivered++;
    else counts.failed++;
    if (nextMs !== undefined) {
      await queueFor({ ...message, attempt: message.attempt + 1 }, nextMs, endedMs);
      counts.retried++;
    } else if (!delivered && !message.resend) {
      counts.gaveUp++;
      deps.logger.warn('webhook delivery given up', { endpoint: stored.endpoint.id, event: event.id, attempts: message.attempt });
    }
  }

  const { keys } = deps.store.objects;
  return async function dispatch(messages: readonly QueuedDelivery[]): Promise<DispatchResult> {
    const counts: DispatchResult['counts'] = { delivered: 0, failed: 0, retried: 0, gaveUp: 0, skipped: 0, deferred: 0, repeated: 0 };
    const failedMessageIds: string[] = [];
    const due: { messageId: string; message: DeliveryMessage }[] = [];
    const now = deps.nowMs();
    for (const { messageId, body } of messages) {
      try {
        const message = parseDeliveryMessage(body);
        if (message.not_before !== undefined && message.not_before > now + EARLY_TOLERANCE_MS) {
          // Waits longer than SQS's 15-minute delay come back early: put back for what is left.
          await queueFor(message, message.not_before, now);
          counts.deferred++;
        } else due.push({ messageId, message });
      } catch (error) {
        deps.logger.error('webhook delivery message not handled', { messageId, error: error as Error });
        failedMessageIds.push(messageId);
      }
    }
    if (due.length === 0) return { failedMessageIds, counts };

    // One consistent BatchGetItem for the batch: each endpoint (with its secret), each event, each
    // attempt's record (present when this attempt was made by an earlier receive), and for
    // `pending_webhooks`, the endpoint directory and the endpoints each event has reached.
    const wanted: Key[] = [keys.webhookEndpoints()];
    const seen = new Set<string>();
    const want = (key: Key) => {
      const id = `${key.pk}|${key.sk}`;
      if (!seen.has(id)) wanted.push(key);
      seen.add(id);
    };
    for (const { message } of due) {
      want(keys.object('webhook_endpoint', message.endpoint));
      want(keys.object('event', message.event));
      want(attemptKey(keys, message));
      want(keys.eventDeliveries(message.event));
    }
    const items = new Map((await deps.store.objects.getItems(wanted, true)).map((item) => [`${String(item.pk)}|${String(item.sk)}`, item]));
    const itemAt = (key: Key) => items.get(`${key.pk}|${key.sk}`);
    const { endpoints } = directoryOf(itemAt(keys.webhookEndpoints()));

    await forEachLimited(due, deps.concurrency ?? 10, async ({ messageId, message }) => {
      try {
        const stored = storedEndpointOf(itemAt(keys.object('webhook_endpoint', message.endpoint)));
        const recorded = itemAt(keys.object('event', message.event))?.object as StripeEvent | undefined;
        const event = recorded && { ...recorded, pending_webhooks: pendingWebhooks(recorded, endpoints, deliveredOf(itemAt(keys.eventDeliveries(recorded.id)))) };
        const earlier = itemAt(attemptKey(keys, message))?.object as WebhookAttempt | undefined;
        if (!stored || stored.endpoint.status !== 'enabled' || !event) {
          // Deleted or disabled since the event (Stripe stops delivering too), or the event has expired.
          counts.skipped++;
          deps.logger.debug('webhook delivery skipped', { endpoint: message.endpoint, event: message.event, endpointLive: Boolean(stored), eventFound: Boolean(event) });
          return;
        }
        if (earlier) {
          // A receive that crashed after recording this attempt: make sure its success is marked or its retry queued.
          counts.repeated++;
          if (earlier.status === 'succeeded') await deps.store.markDelivered(event.id, stored.endpoint.id, earlier.created);
          if (earlier.next_retry_at !== null) await queueFor({ ...message, attempt: message.attempt + 1 }, earlier.next_retry_at * 1000, deps.nowMs());
          return;
        }
        await attempt(message, stored, event, counts);
      } catch (error) {
        deps.logger.error('webhook delivery failed on our side', { messageId, endpoint: message.endpoint, event: message.event, error: error as Error });
        failedMessageIds.push(messageId);
      }
    });
    return { failedMessageIds, counts };
  };
}

export type Dispatch = ReturnType<typeof makeDispatch>;

/** What an attempt records of a POST that got no answer. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof NonPublicAddressError) return `not sent: ${error.message}`;
  const e = error as { name?: string; message?: string; code?: string; hostname?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const code = e?.code ?? e?.cause?.code;
  const reason = code ? NETWORK_FAILURES[code] ?? (code.startsWith('ERR_TLS') || code.includes('CERT') ? 'the TLS handshake failed (certificate)' : undefined) : undefined;
  return reason ?? 'the request failed before an answer';
}

/** Short reasons for the network errors a receiver's address can cause (never a raw system message). */
const NETWORK_FAILURES: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed while sending',
};
