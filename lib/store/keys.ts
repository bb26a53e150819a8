/**
 * Every DynamoDB key Meterline writes is built here, from named parts, and nowhere else.
 * docs/data-model.md lists the same access patterns with examples.
 *
 * Test mode and live mode are separate worlds: every key that names, lists, claims or counts
 * something carries its mode `<m>` (`test` or `live`) right after its first tag, and is built by
 * `keysFor(mode)`, which each store receives once. Only account items (API keys, idempotency
 * records, session tokens, the data version) have no mode (`accountKeys`).
 *
 * Main table (pk, sk; indexes byKind, byFilter, byOwner, byDue)
 *   object of a kind by id       pk=<KIND>#<m>#<id>             sk=OBJECT
 *   objects of a kind, newest    byKind   kind_pk=KIND#<m>#<kind>               kind_sk=<created>#<id>
 *   objects by kind and filter   byFilter filter_pk=KIND#<m>#<kind>#<f>=<v>     filter_sk=<created>#<id>
 *   objects by owner             byOwner  owner_pk=KIND#<m>#<kind>#<owner>     owner_sk=<created>#<id>
 *   objects on a test clock      byClock  clock_pk=KIND#<m>#<kind>@<clock id>   clock_sk=<created>#<id>  (subscriptions, invoices)
 *   work due (subscriptions,     byDue    due_pk=DUE#<m>#wall#<shard> | DUE#<m>#<clock id>  due_sk=<due at>#<id>
 *     credit grant expiries)
 *   meter by event name          pk=METER_NAME#<m>#<event_name> sk=OBJECT
 *   price by lookup key          pk=PRICE_LOOKUP#<m>#<lookup_key> sk=OBJECT
 *   invoice of a period          pk=INVOICE_PERIOD#<m>#<subscription>#<period start>  sk=OBJECT
 *   usage alerts of a meter      pk=USAGE_ALERTS#<m>#<meter>      sk=ALERTS   (non-archived alerts, versioned)
 *   credit alerts of a customer  pk=CREDIT_ALERTS#<m>#<customer>  sk=ALERTS   (non-archived alerts, versioned)
 *   credit grants of a customer  pk=CREDIT_GRANTS#<m>#<customer>  sk=GRANTS   (string set of grant ids)
 *   webhook endpoints of a mode  pk=WEBHOOK_ENDPOINTS#<m>  sk=DIRECTORY  (versioned; read by the event fan-out)
 *   endpoints an event reached   pk=DELIVERED#<m>#<event>  sk=ENDPOINTS  (string set of endpoints that answered 2xx)
 *   amounts invoiced in a month  pk=INVOICED#<m>#<YYYY-MM>  sk=<currency>#<shard>  (counters added to at finalization, taken back at void)
 *   webhook delivery attempt     pk=WEBHOOK_ATTEMPT#<m>#<endpoint>#<event>#<n>  sk=OBJECT
 *   resent delivery's attempt    pk=WEBHOOK_ATTEMPT#<m>#<endpoint>#<event>#RESEND#<resend id>  sk=OBJECT
 *     attempts of an endpoint    byOwner  owner_pk=KIND#<m>#webhook_attempt#<endpoint>  owner_sk=<created>#<id>
 *   resend of an event           pk=EVENT#<m>#<event>  sk=RESEND#<resend id>  (in the event's partition: the
 *                                stream's event filter passes its insert, and the fan-out queues its delivery)
 *   API key by secret hash       pk=API_KEY#<sha256>          sk=OBJECT   (account; the key says its mode)
 *     API keys, newest           byKind   kind_pk=KIND#api_key
 *   idempotent response          pk=IDEMPOTENCY#<key id>#<Idempotency-Key>  sk=OBJECT  (account; per key, so per mode)
 *   meter event session by token pk=SESSION#<sha256>          sk=OBJECT   (account; names its key's principal)
 *   data version                 pk=DATA_VERSION              sk=VERSION  (the layout the local data was written with)
 *   hosted invoice by token      pk=HOSTED_INVOICE#<sha256 of the token>  sk=OBJECT  (account; names the invoice and its mode)
 *
 * Usage table (pk, sk)
 *   meter event claim            pk=EVENT#<m>#<identifier>        sk=CLAIM
 *   apply marker of a chunk      pk=APPLIED#<m>#<chunk id>        sk=MARKER
 *   usage of a customer, by hour pk=USAGE#<m>#<meter>#<customer>  sk=HOUR#<hour start>
 *     (the meter's total per minute, and for a meter with dimensions each combination's: usageAttributes)
 *   usage alert progress         pk=ALERT_PROGRESS#<m>#<alert>#<customer>  sk=PROGRESS
 *   usage rollups (written from the table's stream by the usage rollup, never on the hot path):
 *     a meter's hour, all customers       pk=ROLLUP#<m>#<meter>  sk=HOUR#<hour start>
 *     a customer's day on a meter         pk=ROLLUP#<m>#<meter>  sk=DAY#<day start>#<customer>
 *     a meter's day, all customers        pk=ROLLUP#<m>          sk=DAY#<day start>#<meter>
 *   local queue journal          pk=JOURNAL#<queue>  sk=<sha256 of the body>  (the local stack only)
 */

import { combinationId } from '../domain/dimensions';

export const OBJECT_SK = 'OBJECT';

export type ObjectKind =
  | 'customer'
  | 'meter'
  | 'api_key'
  | 'meter_event_session'
  | 'v2_event'
  | 'product'
  | 'price'
  | 'subscription'
  | 'invoice'
  | 'test_clock'
  | 'event'
  | 'credit_grant'
  | 'alert'
  | 'credit_balance_transaction'
  | 'webhook_endpoint'
  | 'webhook_attempt';

const kindTag: Record<ObjectKind, string> = {
  customer: 'CUSTOMER',
  meter: 'METER',
  api_key: 'API_KEY_ID',
  meter_event_session: 'SESSION_ID',
  v2_event: 'V2_EVENT',
  product: 'PRODUCT',
  price: 'PRICE',
  subscription: 'SUBSCRIPTION',
  invoice: 'INVOICE',
  test_clock: 'TEST_CLOCK',
  event: 'EVENT',
  credit_grant: 'CREDIT_GRANT',
  credit_balance_transaction: 'CREDIT_TXN',
  alert: 'ALERT',
  webhook_endpoint: 'WEBHOOK_ENDPOINT',
  webhook_attempt: 'WEBHOOK_ATTEMPT',
};

/**
 * The key layout's version. 2: every key that names, lists or counts something carries its mode.
 * (1, before it, had one world for both modes.)
 */
export const DATA_VERSION = 2;

/** Test mode or live mode: the two separate worlds of one account, as in Stripe. */
export type Mode = 'test' | 'live';
export const MODES: readonly Mode[] = ['test', 'live'];

/** The mode of an object or a key by its `livemode` flag. */
export function modeOf(livemode: boolean): Mode {
  return livemode ? 'live' : 'test';
}

/** The due-index "clock" of subscriptions and grants that run on the wall clock (not on a test clock). */
export const WALL_CLOCK = 'wall';

/**
 * Wall-clock work spreads over this many due-index partitions per mode, so that a month-end burst
 * of period closes does not funnel every due-entry write into one index partition.
 */
export const WALL_DUE_SHARDS = 16;

/** The due-index shard of an object on the wall clock: a stable hash of its id. */
export function dueShard(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % WALL_DUE_SHARDS;
}

/** Unix seconds padded so that string order is time order (valid until the year 2286). */
export function sortableTime(unixSeconds: number): string {
  return String(unixSeconds).padStart(10, '0');
}

export type Key = {
  pk: string;
  sk: string;
};

/** Position of an object inside a list, for starting_after / ending_before cursors. */
export function listPosition(created: number, id: string): string {
  return `${sortableTime(created)}#${id}`;
}

/** Upper bound of due_sk for everything due at or before `t`. */
export function dueUntil(t: number): string {
  return `${sortableTime(t)}#~`;
}

/** Sort key of a due-index entry. */
export function dueSort(dueAt: number, id: string): string {
  return `${sortableTime(dueAt)}#${id}`;
}

/** The sort key prefix of a rollup of one UTC day (`DAY#<day start>#`), followed by a customer or meter id. */
export function rollupDayPrefix(dayStart: number): string {
  return `DAY#${sortableTime(dayStart)}#`;
}

/** The sort key of an hourly usage item. */
export function usageHourSk(hourStart: number): string {
  return `HOUR#${sortableTime(hourStart)}`;
}

/**
 * Keys of the items that belong to the account rather than to one mode: API keys (each key has
 * its mode), the idempotency records of a key, and meter event session tokens (whose principal has its mode).
 */
export const accountKeys = {
  /** The version of the key layout the data was written with (see DATA_VERSION). */
  dataVersion: (): Key => ({ pk: 'DATA_VERSION', sk: 'VERSION' }),
  apiKeySecret: (secretHash: string): Key => ({ pk: `API_KEY#${secretHash}`, sk: OBJECT_SK }),
  /** Attributes that put an API key into the account's list of keys, newest first. */
  apiKeyList: (created: number, id: string) => ({ kind_pk: accountKeys.apiKeyListPartition(), kind_sk: listPosition(created, id) }),
  apiKeyListPartition: () => 'KIND#api_key',
  idempotency: (keyId: string, idempotencyKey: string): Key => ({ pk: `IDEMPOTENCY#${keyId}#${idempotencyKey}`, sk: OBJECT_SK }),
  sessionToken: (tokenHash: string): Key => ({ pk: `SESSION#${tokenHash}`, sk: OBJECT_SK }),
  /** A finalized invoice's public page, by the SHA-256 of its unguessable token (the token itself is stored nowhere else but in the invoice's URLs). */
  hostedInvoice: (tokenHash: string): Key => ({ pk: `HOSTED_INVOICE#${tokenHash}`, sk: OBJECT_SK }),
};

/** Keys of the local stack's own items (never written on AWS). */
export const localKeys = {
  /** A message the local meter-events queue holds, by the SHA-256 of its body (usage table): see lib/local/journal.ts. */
  journalEntry: (queueId: string, bodyHash: string): Key => ({ pk: localKeys.journalPartition(queueId), sk: bodyHash }),
  journalPartition: (queueId: string) => `JOURNAL#${queueId}`,
};

const USAGE_HOUR_PK_PREFIX = 'USAGE#';

/** The pk prefix of hourly usage items of both modes, for the usage stream's filter. */
export const USAGE_KEY_PREFIX = USAGE_HOUR_PK_PREFIX;

/** What the usage rollup's stream filter passes: hourly usage items written or changed (the local poller applies it as Lambda's filter does). */
export function isUsageHourChange(eventName: string | undefined, pk: string | undefined, sk: string | undefined): boolean {
  return (eventName === 'INSERT' || eventName === 'MODIFY') && parseUsageHourKey(pk, sk) !== undefined;
}

/** What an hourly usage item's key names; undefined for any other key of the usage table. */
export function parseUsageHourKey(pk: string | undefined, sk: string | undefined): { mode: Mode; meterId: string; customerId: string; hourStart: number } | undefined {
  if (!pk?.startsWith(USAGE_HOUR_PK_PREFIX) || !sk?.startsWith('HOUR#')) return undefined;
  const [, mode, meterId, ...customer] = pk.split('#');
  if ((mode !== 'test' && mode !== 'live') || !meterId || customer.length === 0) return undefined;
  return { mode, meterId, customerId: customer.join('#'), hourStart: Number(sk.slice('HOUR#'.length)) };
}

/** True for the key of an event item, of either mode (what the stream fan-out picks from the main table's changes). */
export function isEventKey(pk: string | undefined, sk: string | undefined): boolean {
  return sk === OBJECT_SK && Boolean(pk?.startsWith(EVENT_KEY_PREFIX));
}

/** The pk prefix of event items of both modes, for the stream's event filter. */
export const EVENT_KEY_PREFIX = `${kindTag.event}#`;

/** The sk prefix of an event's resends (`RESEND#<resend id>`), which share the event's partition. */
const RESEND_SK_PREFIX = 'RESEND#';

/** True for the key of a webhook resend, of either mode (the stream fan-out queues its one delivery). */
export function isResendKey(pk: string | undefined, sk: string | undefined): boolean {
  return Boolean(pk?.startsWith(EVENT_KEY_PREFIX) && sk?.startsWith(RESEND_SK_PREFIX));
}

/** Every key builder of one mode (see keysFor). */
function buildKeys(mode: Mode) {
  const keys = {
    mode,
    object: (kind: ObjectKind, id: string): Key => ({ pk: `${kindTag[kind]}#${mode}#${id}`, sk: OBJECT_SK }),

    /** Attributes that put an object into its kind's newest-first list. */
    kindList: (kind: ObjectKind, created: number, id: string) => ({
      kind_pk: keys.kindListPartition(kind),
      kind_sk: listPosition(created, id),
    }),
    kindListPartition: (kind: ObjectKind) => `KIND#${mode}#${kind}`,

    /** Attributes that put an object into the list of its kind with `filter` = `value`. */
    filterList: (kind: ObjectKind, filter: string, value: string, created: number, id: string) => ({
      filter_pk: keys.filterListPartition(kind, filter, value),
      filter_sk: listPosition(created, id),
    }),
    filterListPartition: (kind: ObjectKind, filter: string, value: string) => `KIND#${mode}#${kind}#${filter}=${value}`,

    /** Attributes that put an object into the list of its kind owned by `owner` (e.g. a customer). */
    ownerList: (kind: ObjectKind, owner: string, created: number, id: string) => ({
      owner_pk: keys.ownerListPartition(kind, owner),
      owner_sk: listPosition(created, id),
    }),
    ownerListPartition: (kind: ObjectKind, owner: string) => `KIND#${mode}#${kind}#${owner}`,
    /** Attributes that list an object under its test clock (byClock): a clock's subscriptions and invoices. */
    clockList: (kind: ObjectKind, clock: string, created: number, id: string) => ({
      clock_pk: keys.clockListPartition(kind, clock),
      clock_sk: listPosition(created, id),
    }),
    clockListPartition: (kind: ObjectKind, clock: string) => `KIND#${mode}#${kind}@${clock}`,

    /** Attributes that put an object into the due index of its clock (`WALL_CLOCK`, sharded, or a test clock id). */
    due: (clock: string, dueAt: number, id: string) => ({
      due_pk: clock === WALL_CLOCK ? `DUE#${mode}#${WALL_CLOCK}#${dueShard(id)}` : `DUE#${mode}#${clock}`,
      due_sk: dueSort(dueAt, id),
    }),
    /** Every due-index partition of a clock: the wall clock's shards, or the one partition of a test clock. */
    duePartitions: (clock: string): string[] =>
      clock === WALL_CLOCK
        ? Array.from({ length: WALL_DUE_SHARDS }, (_, shard) => `DUE#${mode}#${WALL_CLOCK}#${shard}`)
        : [`DUE#${mode}#${clock}`],

    priceLookupKey: (lookupKey: string): Key => ({ pk: `PRICE_LOOKUP#${mode}#${lookupKey}`, sk: OBJECT_SK }),
    invoicePeriod: (subscriptionId: string, periodStart: number): Key => ({
      pk: `INVOICE_PERIOD#${mode}#${subscriptionId}#${sortableTime(periodStart)}`,
      sk: OBJECT_SK,
    }),

    /** Every live webhook endpoint of the mode in one versioned item: what the event fan-out reads, and the endpoint limit's lock. */
    webhookEndpoints: (): Key => ({ pk: `WEBHOOK_ENDPOINTS#${mode}`, sk: 'DIRECTORY' }),
    /** The endpoints that acknowledged an event's delivery with a 2xx (a string set): what `pending_webhooks` subtracts. */
    eventDeliveries: (eventId: string): Key => ({ pk: `DELIVERED#${mode}#${eventId}`, sk: 'ENDPOINTS' }),
    /** One delivery attempt of an event to a webhook endpoint (the key makes recording it idempotent). */
    webhookAttempt: (endpointId: string, eventId: string, attempt: number): Key => ({
      pk: `${kindTag.webhook_attempt}#${mode}#${endpointId}#${eventId}#${attempt}`,
      sk: OBJECT_SK,
    }),
    /** The one attempt of a resend (never a number, so it cannot collide with the automatic attempts). */
    webhookResendAttempt: (endpointId: string, eventId: string, resendId: string): Key => ({
      pk: `${kindTag.webhook_attempt}#${mode}#${endpointId}#${eventId}#${RESEND_SK_PREFIX}${resendId}`,
      sk: OBJECT_SK,
    }),
    /** A resend of an event to an endpoint, in the event's partition: its insert passes the stream's event filter. */
    eventResend: (eventId: string, resendId: string): Key => ({
      pk: keys.object('event', eventId).pk,
      sk: `${RESEND_SK_PREFIX}${resendId}`,
    }),

    /** A shard of the counters of what was invoiced in one UTC month (`YYYY-MM`) in one currency. */
    invoicedTotal: (month: string, currency: string, invoiceId: string): Key => ({
      pk: keys.invoicedMonthPartition(month),
      sk: `${currency}#${dueShard(invoiceId)}`,
    }),
    invoicedMonthPartition: (month: string) => `INVOICED#${mode}#${month}`,

    meterName: (eventName: string): Key => ({ pk: `METER_NAME#${mode}#${eventName}`, sk: OBJECT_SK }),

    eventClaim: (identifier: string): Key => ({ pk: `EVENT#${mode}#${identifier}`, sk: 'CLAIM' }),
    applyMarker: (chunkId: string): Key => ({ pk: `APPLIED#${mode}#${chunkId}`, sk: 'MARKER' }),
    usagePartition: (meterId: string, customerId: string) => `USAGE#${mode}#${meterId}#${customerId}`,
    usageHour: (meterId: string, customerId: string, hourStart: number): Key => ({
      pk: keys.usagePartition(meterId, customerId),
      sk: usageHourSk(hourStart),
    }),

    /** A meter's usage rollups: its hours over all customers, and each customer's days (usage table). */
    rollupPartition: (meterId: string) => `ROLLUP#${mode}#${meterId}`,
    meterHourTotal: (meterId: string, hourStart: number): Key => ({ pk: keys.rollupPartition(meterId), sk: `HOUR#${sortableTime(hourStart)}` }),
    customerDayTotal: (meterId: string, dayStart: number, customerId: string): Key => ({
      pk: keys.rollupPartition(meterId),
      sk: `${rollupDayPrefix(dayStart)}${customerId}`,
    }),
    /** Every meter's daily totals over all customers, in one partition (the busiest meters of a range). */
    meterDayTotalsPartition: () => `ROLLUP#${mode}`,
    meterDayTotal: (dayStart: number, meterId: string): Key => ({ pk: keys.meterDayTotalsPartition(), sk: `${rollupDayPrefix(dayStart)}${meterId}` }),

    /** The non-archived usage alerts of a meter (versioned), read by the consumer once per meter and batch. */
    meterUsageAlerts: (meterId: string): Key => ({ pk: `USAGE_ALERTS#${mode}#${meterId}`, sk: 'ALERTS' }),
    /** The credit balance alerts of a customer and their trigger state (versioned), read by every ledger change of the customer. */
    customerCreditAlerts: (customerId: string): Key => ({ pk: `CREDIT_ALERTS#${mode}#${customerId}`, sk: 'ALERTS' }),
    /** The ids of a customer's credit grants (a string set), read consistently where the byOwner index could lag. */
    customerCreditGrants: (customerId: string): Key => ({ pk: `CREDIT_GRANTS#${mode}#${customerId}`, sk: 'GRANTS' }),
    /** Usage counted by one usage alert for one customer, and whether it fired (usage table). */
    alertProgress: (alertId: string, customerId: string): Key => ({ pk: `ALERT_PROGRESS#${mode}#${alertId}#${customerId}`, sk: 'PROGRESS' }),
  };
  return keys;
}

export type ModeKeys = ReturnType<typeof buildKeys>;

/** Built once per mode: every object write derives its keys from here. */
const KEYS: Record<Mode, ModeKeys> = { test: buildKeys('test'), live: buildKeys('live') };

/**
 * The keys of one mode. The mode follows the first tag of every partition key
 * (`CUSTOMER#test#cus_…`, `KIND#live#customer`), so a store built for one mode can neither read,
 * list nor claim a name of the other: an id of the other mode is simply not there.
 */
export function keysFor(mode: Mode): ModeKeys {
  return KEYS[mode];
}

/** Attribute of an hourly usage item holding one minute's value ('m00'..'m59'). */
export function minuteAttribute(minuteOfHour: number): string {
  return `m${String(minuteOfHour).padStart(2, '0')}`;
}

/** Attribute holding the event timestamp behind a `last` meter's minute value ('t00'..'t59'). */
export function minuteTimeAttribute(minuteOfHour: number): string {
  return `t${String(minuteOfHour).padStart(2, '0')}`;
}

/** Attribute holding the identifier behind a `last` meter's minute value ('i00'..'i59'). */
export function minuteIdentifierAttribute(minuteOfHour: number): string {
  return `i${String(minuteOfHour).padStart(2, '0')}`;
}

/** Hour total of a sum or count meter. */
export const HOUR_TOTAL_ATTRIBUTE = 'h';

/**
 * Attribute of an hourly usage item of a meter with dimensions: the string set of its
 * combinations of dimension values (their combinationKey texts), at most
 * MAX_COMBINATIONS_PER_HOUR.
 */
export const COMBINATIONS_ATTRIBUTE = 'dc';

/** The attribute names of one usage total on an hourly usage item. */
export interface UsageAttributes {
  /** Hour total (sum and count meters). */
  total: string;
  minute(minuteOfHour: number): string;
  /** Event time behind a `last` meter's minute value. */
  time(minuteOfHour: number): string;
  /** Identifier behind a `last` meter's minute value. */
  identifier(minuteOfHour: number): string;
}

/**
 * The attributes of the meter's total on an hourly usage item ('h', 'm05', 't05', 'i05'), or of
 * one combination of dimension values on it: the same names behind 'd' and the combination's
 * 8-character id ('dAbC-_123', 'dAbC-_123m05', ...).
 */
export function usageAttributes(combination?: string): UsageAttributes {
  const prefix = combination === undefined ? '' : `d${combinationId(combination)}`;
  return {
    total: prefix || HOUR_TOTAL_ATTRIBUTE,
    minute: (m) => prefix + minuteAttribute(m),
    time: (m) => prefix + minuteTimeAttribute(m),
    identifier: (m) => prefix + minuteIdentifierAttribute(m),
  };
}
