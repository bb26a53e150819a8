import {
  BatchExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DAY, HOUR, MINUTE } from '../domain/time';
import { batchGetItems, exactNumber, isConditionFailure, cancellationReasons, type TransactItem } from '../store/dynamo';
import { forEachLimited } from '../domain/concurrency';
import {
  HOUR_TOTAL_ATTRIBUTE,
  keysFor,
  minuteAttribute,
  minuteIdentifierAttribute,
  minuteTimeAttribute,
  usageHourSk,
  type Mode,
  type ModeKeys,
} from '../store/keys';
import type { Formula } from '../meters/meters';
import type { ValidMeterEvent } from './meter-event';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';

/** Claims and apply markers outlive Stripe's 24 h promise: identifiers stay unique 40 days. */
export const CLAIM_RETENTION_SECONDS = 40 * DAY;

/** The stored claim of an identifier: the event's contribution and who applied it. */
export interface Claim extends ValidMeterEvent {
  /** Chunk whose apply marker proves the contribution is in the aggregates. */
  chunk: string;
  claimedMs: number;
  received: number;
  /** When the API received the event, milliseconds (what usage alerts compare with their creation). */
  receivedMs: number;
  cancelled?: number;
}

export type ClaimOutcome = { claimed: true } | { claimed: false; existing: Claim };

/** One identifier to claim for the chunk that will apply it. */
export interface ClaimRequest {
  event: ValidMeterEvent;
  chunk: string;
  received: number;
  receivedMs: number;
}

/** BatchExecuteStatement takes 25 statements. */
const CLAIMS_PER_REQUEST = 25;
const CLAIM_REQUESTS_IN_FLIGHT = 8;
const CLAIM_ATTEMPTS = 5;

/** Attributes of a claim item, in the order of the INSERT's parameters. */
const CLAIM_ATTRIBUTES = ['pk', 'sk', 'identifier', 'event_name', 'meter', 'customer', 'formula', 'ts', 'value', 'chunk', 'claimed_ms', 'received', 'received_ms', 'expires_at'] as const;

function claimParameters(keys: ModeKeys, { event, chunk, received, receivedMs }: ClaimRequest, nowMs: number): unknown[] {
  const item: Record<(typeof CLAIM_ATTRIBUTES)[number], unknown> = {
    ...keys.eventClaim(event.identifier),
    identifier: event.identifier,
    event_name: event.eventName,
    meter: event.meterId,
    customer: event.customerId,
    formula: event.formula,
    ts: event.timestamp,
    value: exactNumber(event.value),
    chunk,
    claimed_ms: nowMs,
    received,
    received_ms: receivedMs,
    expires_at: Math.floor(nowMs / 1000) + CLAIM_RETENTION_SECONDS,
  };
  return CLAIM_ATTRIBUTES.map((name) => item[name]);
}


/** The sum or count delta of one hourly usage item. */
export interface HourDelta {
  meterId: string;
  customerId: string;
  hourStart: number;
  total: string;
  minutes: Map<number, string>;
}

/** The latest event of one minute of a `last` meter. */
export interface LastValue {
  meterId: string;
  customerId: string;
  timestamp: number;
  identifier: string;
  value: string;
}

/** One hourly usage item as read back. */
export interface UsageHour {
  hourStart: number;
  /** Minute of hour -> exact value (sum, count or last value). */
  minutes: Map<number, string>;
  /** For `last` meters: minute -> [timestamp, identifier] of the value. */
  lastAt: Map<number, [number, string]>;
}

export class TransactionConflict extends Error {}

/** One item of a DynamoDB transaction (usage alerts add theirs to a chunk's). */
export type { TransactItem } from '../store/dynamo';

function claimFromItem(item: Record<string, unknown>): Claim {
  return {
    identifier: String(item.identifier),
    eventName: String(item.event_name),
    meterId: String(item.meter),
    customerId: String(item.customer),
    formula: item.formula as Formula,
    timestamp: Number(item.ts),
    value: String(item.value),
    chunk: String(item.chunk),
    claimedMs: Number(item.claimed_ms),
    received: Number(item.received),
    receivedMs: item.received_ms === undefined ? Number(item.received) * 1000 : Number(item.received_ms),
    cancelled: item.cancelled === undefined ? undefined : Number(item.cancelled),
  };
}

/** Attribute names of one minute of a `last` meter: value, event time, identifier. */
function lastAttributeNames(minute: number) {
  return { '#m': minuteAttribute(minute), '#t': minuteTimeAttribute(minute), '#i': minuteIdentifierAttribute(minute) };
}

const minuteOf = (timestamp: number) => Math.floor((timestamp % HOUR) / MINUTE);
const hourOf = (timestamp: number) => timestamp - (timestamp % HOUR);

/**
 * The usage table: one claim per identifier (exactly-once), apply markers, and hourly usage
 * items with one attribute per minute so that any minute-aligned window reads whole hours.
 */
export class UsageStore {
  private readonly insertClaim: string;
  /** The keys of this store's mode: usage and identifiers of the other mode are never read or claimed. */
  readonly keys: ModeKeys;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly mode: Mode,
  ) {
    this.keys = keysFor(mode);
    this.insertClaim = `INSERT INTO "${tableName}" VALUE {${CLAIM_ATTRIBUTES.map((a) => `'${a}': ?`).join(', ')}}`;
  }

  /**
   * Claims identifiers, 25 per request: each claim is a PartiQL INSERT, which fails on its own
   * (DuplicateItem) when the identifier is already claimed, exactly like a conditional put, but
   * without one HTTP request per event. Existing claims are read back in one consistent batch.
   * An entry maps to an Error when the outcome is unknown (the claim may or may not exist).
   */
  async claimMany(requests: readonly ClaimRequest[], nowMs: number): Promise<Map<string, ClaimOutcome | Error>> {
    const outcomes = new Map<string, ClaimOutcome | Error>();
    const taken: string[] = [];
    const batches: ClaimRequest[][] = [];
    for (let i = 0; i < requests.length; i += CLAIMS_PER_REQUEST) batches.push(requests.slice(i, i + CLAIMS_PER_REQUEST));
    await forEachLimited(batches, CLAIM_REQUESTS_IN_FLIGHT, async (batch) => {
      let pending = batch;
      for (let attempt = 1; pending.length; attempt++) {
        const retry: ClaimRequest[] = [];
        let responses;
        try {
          const out = await this.db.send(
            new BatchExecuteStatementCommand({
              Statements: pending.map((r) => ({ Statement: this.insertClaim, Parameters: claimParameters(this.keys, r, nowMs) })),
            }),
          );
          responses = out.Responses ?? [];
        } catch (error) {
          // The SDK retried already; whether these claims exist is unknown.
          for (const r of pending) outcomes.set(r.event.identifier, error as Error);
          return;
        }
        pending.forEach((r, i) => {
          const code = responses[i]?.Error?.Code;
          if (!code) outcomes.set(r.event.identifier, { claimed: true });
          else if (code === 'DuplicateItem' || code === 'ConditionalCheckFailed') taken.push(r.event.identifier);
          else if (attempt < CLAIM_ATTEMPTS) retry.push(r);
          else outcomes.set(r.event.identifier, new Error(`claim failed: ${code}`));
        });
        pending = retry;
        if (pending.length) await sleep(backoffMs(BACKOFF.claims, attempt));
      }
    });
    if (taken.length) {
      const existing = await this.getClaimItems(taken);
      for (const identifier of taken) {
        const item = existing.get(identifier);
        outcomes.set(identifier, item ? { claimed: false, existing: claimFromItem(item) } : new Error('claim vanished'));
      }
    }
    return outcomes;
  }

  /** Claim items by identifier, read consistently. */
  private async getClaimItems(identifiers: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const items = await batchGetItems(this.db, this.tableName, identifiers.map((id) => this.keys.eventClaim(id)), true);
    return new Map(items.map((item) => [String(item.identifier), item]));
  }

  private async getClaimItem(identifier: string) {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.keys.eventClaim(identifier), ConsistentRead: true }),
    );
    return Item;
  }

  async getClaim(identifier: string): Promise<Claim | undefined> {
    const item = await this.getClaimItem(identifier);
    return item ? claimFromItem(item) : undefined;
  }

  /** Which of these chunks have been applied (strongly consistent). */
  async appliedChunks(chunks: Iterable<string>): Promise<Set<string>> {
    const markers = [...new Set(chunks)].map((chunk) => this.keys.applyMarker(chunk));
    const items = await batchGetItems(this.db, this.tableName, markers, true);
    return new Set(items.map((item) => String(item.chunk)));
  }

  /**
   * Takes over the claim of an attempt that died before applying it: succeeds only if that
   * attempt's marker is still absent and nobody cancelled or took the claim meanwhile.
   */
  async adoptClaim(claim: Claim, chunk: string, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: this.keys.applyMarker(claim.chunk),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: this.keys.eventClaim(claim.identifier),
                UpdateExpression: 'SET chunk = :new, claimed_ms = :now',
                ConditionExpression: 'chunk = :old AND attribute_not_exists(cancelled)',
                ExpressionAttributeValues: { ':new': chunk, ':old': claim.chunk, ':now': nowMs },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationReasons(error)) return false;
      throw error;
    }
  }

  /**
   * Adds the deltas of one chunk to the hourly items and writes the chunk's marker, in one
   * transaction: either all of it counts or none of it does. `alsoWrite` (usage alert progress
   * and trigger events) commits with it; a failed condition there is a TransactionConflict.
   */
  async applyChunk(chunk: string, deltas: readonly HourDelta[], nowSeconds: number, alsoWrite: readonly TransactItem[] = []): Promise<void> {
    const items = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...this.keys.applyMarker(chunk), chunk, expires_at: nowSeconds + CLAIM_RETENTION_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...deltas.map((delta) => {
        const names: Record<string, string> = { '#h': HOUR_TOTAL_ATTRIBUTE };
        const values: Record<string, unknown> = { ':h': exactNumber(delta.total) };
        const adds = ['#h :h'];
        for (const [minute, value] of delta.minutes) {
          names[`#m${minute}`] = minuteAttribute(minute);
          values[`:m${minute}`] = exactNumber(value);
          adds.push(`#m${minute} :m${minute}`);
        }
        return {
          Update: {
            TableName: this.tableName,
            Key: this.keys.usageHour(delta.meterId, delta.customerId, delta.hourStart),
            UpdateExpression: `ADD ${adds.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        };
      }),
      ...alsoWrite,
    ];
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons) {
        // The marker exists: this chunk was applied before (a retried call). Nothing to do.
        if (reasons[0] === 'ConditionalCheckFailed') return;
        throw new TransactionConflict(reasons.join(','));
      }
      throw error;
    }
  }

  /** Records the latest value of a minute of a `last` meter; replaying it changes nothing. */
  async applyLast(last: LastValue): Promise<void> {
    const minute = minuteOf(last.timestamp);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keys.usageHour(last.meterId, last.customerId, hourOf(last.timestamp)),
          UpdateExpression: 'SET #m = :v, #t = :t, #i = :i',
          ConditionExpression: 'attribute_not_exists(#t) OR #t < :t OR (#t = :t AND #i <= :i)',
          ExpressionAttributeNames: lastAttributeNames(minute),
          ExpressionAttributeValues: { ':v': exactNumber(last.value), ':t': last.timestamp, ':i': last.identifier },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error; // A later event already holds the minute.
    }
  }

  /** Writes the marker of a chunk whose writes are idempotent by themselves (`last` meters). */
  async markApplied(chunk: string, nowSeconds: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.keys.applyMarker(chunk), chunk, expires_at: nowSeconds + CLAIM_RETENTION_SECONDS },
      }),
    );
  }

  /**
   * Cancels an applied sum or count event: flags the claim and subtracts its contribution in one
   * transaction (with `also`: what the cancellation changes elsewhere, such as usage alert
   * progress), so that a second cancel changes nothing. False when the claim or anything `also`
   * checks changed meanwhile.
   */
  async cancelApplied(claim: Claim, nowSeconds: number, also: readonly TransactItem[] = []): Promise<boolean> {
    const minute = minuteOf(claim.timestamp);
    const delta = claim.formula === 'count' ? '-1' : `-${claim.value}`.replace(/^--/, '');
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.flagCancelled(claim, nowSeconds),
            {
              Update: {
                TableName: this.tableName,
                Key: this.keys.usageHour(claim.meterId, claim.customerId, hourOf(claim.timestamp)),
                UpdateExpression: 'ADD #h :d, #m :d',
                ExpressionAttributeNames: { '#h': HOUR_TOTAL_ATTRIBUTE, '#m': minuteAttribute(minute) },
                ExpressionAttributeValues: { ':d': exactNumber(delta) },
              },
            },
            ...also,
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationReasons(error)) return false;
      throw error;
    }
  }

  /**
   * Cancels a claim without touching aggregates: for claims never applied, and for `last`
   * meters, whose minute value is then cleared if this event holds it.
   */
  async cancelUnapplied(claim: Claim, nowSeconds: number): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [this.flagCancelled(claim, nowSeconds)] }));
    } catch (error) {
      if (cancellationReasons(error)) return false;
      throw error;
    }
    if (claim.formula === 'last') {
      const minute = minuteOf(claim.timestamp);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.keys.usageHour(claim.meterId, claim.customerId, hourOf(claim.timestamp)),
            UpdateExpression: 'REMOVE #m, #t, #i',
            ConditionExpression: '#i = :i',
            ExpressionAttributeNames: lastAttributeNames(minute),
            ExpressionAttributeValues: { ':i': claim.identifier },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return true;
  }

  private flagCancelled(claim: Claim, nowSeconds: number) {
    return {
      Update: {
        TableName: this.tableName,
        Key: this.keys.eventClaim(claim.identifier),
        UpdateExpression: 'SET cancelled = :now',
        ConditionExpression: 'chunk = :chunk AND attribute_not_exists(cancelled)',
        ExpressionAttributeValues: { ':now': nowSeconds, ':chunk': claim.chunk },
      },
    };
  }

  /** Hourly usage items of a meter and customer for hours in [fromHour, toHour]. */
  async readHours(meterId: string, customerId: string, fromHour: number, toHour: number): Promise<UsageHour[]> {
    const hours: UsageHour[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: {
            ':p': this.keys.usagePartition(meterId, customerId),
            ':a': usageHourSk(fromHour),
            ':b': usageHourSk(toHour),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) hours.push(toUsageHour(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return hours;
  }
}

function toUsageHour(item: Record<string, unknown>): UsageHour {
  const minutes = new Map<number, string>();
  const lastAt = new Map<number, [number, string]>();
  for (let minute = 0; minute < 60; minute++) {
    const value = item[minuteAttribute(minute)];
    if (value === undefined) continue;
    minutes.set(minute, String(value));
    const at = item[minuteTimeAttribute(minute)];
    if (at !== undefined) lastAt.set(minute, [Number(at), String(item[minuteIdentifierAttribute(minute)])]);
  }
  const sk = String(item.sk);
  return { hourStart: Number(sk.slice(sk.indexOf('#') + 1)), minutes, lastAt };
}
