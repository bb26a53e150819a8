import { BatchExecuteStatementCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, exactNumber, cancellationReasons } from '../store/dynamo';
import { forEachLimited } from '../domain/concurrency';
import type { ModeKeys } from '../store/keys';
import { combinationKey, parseCombinationKey } from '../domain/dimensions';
import type { Formula } from '../meters/meters';
import type { ValidMeterEvent } from './meter-event';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';
import { CLAIM_RETENTION_SECONDS, type UsageTable } from './usage-table';

/*
 * Exactly once: one claim item per identifier, naming the chunk whose apply marker proves the
 * event's contribution is in the aggregates.
 */

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
/** An event of a meter with dimensions also keeps its combination (combinationKey), so adoption and cancellation find its usage. */
const DIMENSIONS_ATTRIBUTE = 'dims';

/** The PartiQL INSERTs of a claim item into `tableName`, its values as parameters: without and with dimensions. */
export interface ClaimStatements {
  plain: string;
  dimensioned: string;
}

export function claimInsertStatements(tableName: string): ClaimStatements {
  const insert = (names: readonly string[]) => `INSERT INTO "${tableName}" VALUE {${names.map((a) => `'${a}': ?`).join(', ')}}`;
  return { plain: insert(CLAIM_ATTRIBUTES), dimensioned: insert([...CLAIM_ATTRIBUTES, DIMENSIONS_ATTRIBUTE]) };
}

function claimStatement(statements: ClaimStatements, keys: ModeKeys, request: ClaimRequest, nowMs: number) {
  const parameters = claimParameters(keys, request, nowMs);
  const dimensions = request.event.dimensions;
  if (!dimensions) return { Statement: statements.plain, Parameters: parameters };
  return { Statement: statements.dimensioned, Parameters: [...parameters, combinationKey(dimensions)] };
}

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
    ...(typeof item[DIMENSIONS_ATTRIBUTE] === 'string' ? { dimensions: parseCombinationKey(item[DIMENSIONS_ATTRIBUTE]) } : {}),
  };
}

/**
 * Claims identifiers, 25 per request: each claim is a PartiQL INSERT (`insertClaim`, see
 * claimInsertStatements), which fails on its own (DuplicateItem) when the identifier is already
 * claimed, exactly like a conditional put, but without one HTTP request per event. Existing
 * claims are read back in one consistent batch. An entry maps to an Error when the outcome is
 * unknown (the claim may or may not exist).
 */
export async function claimMany(
  table: UsageTable,
  statements: ClaimStatements,
  requests: readonly ClaimRequest[],
  nowMs: number,
): Promise<Map<string, ClaimOutcome | Error>> {
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
        const out = await table.db.send(
          new BatchExecuteStatementCommand({
            Statements: pending.map((r) => claimStatement(statements, table.keys, r, nowMs)),
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
    const existing = await getClaimItems(table, taken);
    for (const identifier of taken) {
      const item = existing.get(identifier);
      outcomes.set(identifier, item ? { claimed: false, existing: claimFromItem(item) } : new Error('claim vanished'));
    }
  }
  return outcomes;
}

/** Claim items by identifier, read consistently. */
async function getClaimItems(table: UsageTable, identifiers: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const items = await batchGetItems(table.db, table.tableName, identifiers.map((id) => table.keys.eventClaim(id)), true);
  return new Map(items.map((item) => [String(item.identifier), item]));
}

/** The claim of an identifier, read consistently; undefined when it was never claimed. */
export async function getClaim(table: UsageTable, identifier: string): Promise<Claim | undefined> {
  const { Item } = await table.db.send(new GetCommand({ TableName: table.tableName, Key: table.keys.eventClaim(identifier), ConsistentRead: true }));
  return Item ? claimFromItem(Item) : undefined;
}

/**
 * Takes over the claim of an attempt that died before applying it: succeeds only if that
 * attempt's marker is still absent and nobody cancelled or took the claim meanwhile.
 */
export async function adoptClaim(table: UsageTable, claim: Claim, chunk: string, nowMs: number): Promise<boolean> {
  try {
    await table.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: table.tableName,
              Key: table.keys.applyMarker(claim.chunk),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: table.tableName,
              Key: table.keys.eventClaim(claim.identifier),
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
