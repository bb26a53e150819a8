import { InvalidRequestError, NotFoundError } from '../errors';
import { retryLostRaces } from '../domain/concurrency';
import { newId, randomToken } from '../domain/ids';
import { eventTypes, isEventType } from '../events/event-types';
import { applyMetadata } from '../metadata';
import type { ListPage, PageQuery } from '../store/objects';
import type { CreatedWebhookEndpoint, CreateWebhookEndpointCommand, DeletedWebhookEndpoint, UpdateWebhookEndpointCommand, WebhookAttempt, WebhookEndpoint } from './model';
import type { EndpointDirectory, WebhookStore } from './webhook-store';
import { nonPublicHost } from './public-address';

/** Stripe's limit of endpoints per account. */
export const MAX_ENDPOINTS = 16;
export const MAX_URL_LENGTH = 5000;
export const MAX_DESCRIPTION_LENGTH = 5000;
/** Every type once, and `*`. */
export const MAX_ENABLED_EVENTS = eventTypes.length + 1;
/** `2026-10-28.endive`, `2024-06-20`. */
export const API_VERSION = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;
/** Tries of an endpoint change that keeps losing races on the directory. */
const DIRECTORY_ATTEMPTS = 5;

/**
 * Webhook endpoints (/v1/webhook_endpoints): where Meterline POSTs signed events. The signing
 * secret (`whsec_…`) is shown once, in the answer to create, and never again.
 */
export class WebhookEndpoints {
  constructor(
    private readonly store: WebhookStore,
    private readonly nowMs: () => number,
    /** Whether an endpoint of this mode must be publicly reachable. */
    private readonly publicOnly: (livemode: boolean) => boolean,
  ) {}

  /** POST /v1/webhook_endpoints: the answer is the only time the signing secret is shown. */
  async create(command: CreateWebhookEndpointCommand, now: number, livemode: boolean): Promise<CreatedWebhookEndpoint> {
    const url = checkUrl(command.url, livemode, this.publicOnly(livemode));
    const enabledEvents = checkEnabledEvents(command.enabled_events);
    if (!enabledEvents) throw new InvalidRequestError('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    const apiVersion = command.api_version ?? null;
    if (command.connect) {
      throw new InvalidRequestError('Meterline has no connected accounts: connect must be false.', 'connect');
    }
    const description = command.description ?? null;
    const metadata = applyMetadata({}, command.metadata);
    const endpoint: WebhookEndpoint = {
      id: newId('webhookEndpoint', this.nowMs()),
      object: 'webhook_endpoint',
      api_version: apiVersion,
      application: null,
      created: now,
      description,
      enabled_events: enabledEvents,
      livemode,
      metadata,
      status: 'enabled',
      url,
    };
    const secret = `whsec_${randomToken(32)}`;
    // The limit is checked on the directory the write is conditioned on, so concurrent creates cannot pass it together.
    await this.changeDirectory(async (directory) => {
      if (directory.endpoints.length >= MAX_ENDPOINTS) {
        throw new InvalidRequestError(`You have reached the maximum of ${MAX_ENDPOINTS} webhook endpoints.`, 'url', 'webhook_endpoint_limit_reached');
      }
      return (await this.store.create({ endpoint, secret }, directory)) || undefined;
    });
    return { ...endpoint, secret };
  }

  async retrieve(id: string): Promise<WebhookEndpoint> {
    return (await this.load(id)).endpoint;
  }

  /** Changes url, enabled_events, disabled (the status), description and metadata. */
  async update(id: string, command: UpdateWebhookEndpointCommand): Promise<WebhookEndpoint> {
    const { livemode } = (await this.load(id, true)).endpoint;
    const url = command.url === undefined ? undefined : checkUrl(command.url, livemode, this.publicOnly(livemode));
    const enabledEvents = checkEnabledEvents(command.enabled_events);
    const { disabled, description, metadata } = command;
    return this.changeDirectory(async (directory) => {
      const stored = await this.load(id, true);
      const current = stored.endpoint;
      const endpoint: WebhookEndpoint = {
        ...current,
        url: url ?? current.url,
        enabled_events: enabledEvents ?? current.enabled_events,
        status: disabled === undefined ? current.status : disabled ? 'disabled' : 'enabled',
        description: description === undefined ? current.description : description,
        metadata: applyMetadata(current.metadata, metadata),
      };
      return (await this.store.replace({ endpoint, secret: stored.secret }, directory)) ? endpoint : undefined;
    });
  }

  /** Deletes the endpoint: nothing more is delivered to it, retries included. */
  async delete(id: string): Promise<Omit<DeletedWebhookEndpoint, 'created'>> {
    return this.changeDirectory(async (directory) => {
      const { endpoint } = await this.load(id, true);
      const deleted = await this.store.delete({ id, object: 'webhook_endpoint', created: endpoint.created, deleted: true }, directory);
      return deleted ? { id, object: 'webhook_endpoint' as const, deleted: true as const } : undefined;
    });
  }

  list(query: PageQuery): Promise<ListPage<WebhookEndpoint>> {
    return this.store.objects.list<WebhookEndpoint>('webhook_endpoint', query);
  }

  /** The endpoint's delivery attempts of the last 30 days, newest first. */
  async attempts(id: string, query: PageQuery): Promise<ListPage<WebhookAttempt>> {
    await this.load(id);
    return this.store.objects.list<WebhookAttempt>('webhook_attempt', { ...query, owner: id });
  }

  private async load(id: string, consistent = false) {
    const stored = await this.store.load(id, consistent);
    if (!stored) throw new NotFoundError('webhook_endpoint', id);
    return stored;
  }

  /**
   * Runs `change` on the directory as read now, again while it loses a race (it answers
   * undefined when its conditional write failed: the directory or the endpoint changed meanwhile).
   */
  private changeDirectory<T>(change: (directory: EndpointDirectory) => Promise<T | undefined>): Promise<T> {
    return retryLostRaces(
      DIRECTORY_ATTEMPTS,
      async () => change(await this.store.directory()),
      () => new InvalidRequestError('Webhook endpoints kept changing while this request ran; retry.', undefined, 'lock_timeout'),
    );
  }
}

/**
 * The endpoint URL: absolute, http or https, at most 5000 characters. Live mode requires https,
 * as Stripe does. `publicOnly` (live mode, and test mode where deployed) requires a host that
 * can be public (not localhost, not a private or special address); the local stack's test mode
 * accepts any host, so that a local receiver (http://localhost) works.
 */
function checkUrl(raw: string, livemode: boolean, publicOnly: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidRequestError(`Invalid URL: ${JSON.stringify(raw)}. A webhook endpoint needs an absolute http(s) URL.`, 'url', 'url_invalid');
  }
  const schemes = livemode ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol) || !url.hostname) {
    const allowed = livemode ? 'https' : 'http or https';
    throw new InvalidRequestError(`Invalid URL: ${JSON.stringify(raw)}. The URL must use ${allowed}.`, 'url', 'url_invalid');
  }
  if (url.username || url.password) {
    throw new InvalidRequestError('Invalid URL: credentials in a webhook URL would be sent in clear in every delivery.', 'url', 'url_invalid');
  }
  const inner = publicOnly ? nonPublicHost(url.hostname) : undefined;
  if (inner) {
    throw new InvalidRequestError(`Invalid URL: ${JSON.stringify(raw)}. A webhook endpoint must be publicly reachable: ${inner}.`, 'url', 'url_invalid');
  }
  return raw;
}

/** The event types to deliver: at least one, each `*` or a type Meterline records; duplicates dropped. */
function checkEnabledEvents(list: string[] | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  if (list.length === 0) throw new InvalidRequestError('enabled_events must list at least one event type (or `*`).', 'enabled_events');
  list.forEach((type, i) => {
    if (type !== '*' && !isEventType(type)) {
      throw new InvalidRequestError(
        `Invalid enabled_events[${i}]: '${type}' is not an event type Meterline sends. Use '*' or one of ${eventTypes.join(', ')}.`,
        `enabled_events[${i}]`,
      );
    }
  });
  return [...new Set(list)];
}
