import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../store/dynamo';
import { keysFor, type Mode, type ModeKeys } from '../store/keys';
import { adoptClaim, claimInsertStatements, claimMany, getClaim, type Claim, type ClaimOutcome, type ClaimRequest, type ClaimStatements } from './usage-claims';
import { applyChunk, appliedChunks, applyLast, markApplied, type HourDelta, type LastValue } from './usage-apply';
import { cancelApplied, cancelUnapplied } from './usage-cancel';
import { readCombinations, readHours, type HourRef, type UsageHour } from './usage-reads';
import type { UsageTable } from './usage-table';

export { CLAIM_RETENTION_SECONDS } from './usage-table';
export { CombinationsExceeded, TransactionConflict } from './usage-apply';
export type { Claim, ClaimOutcome, ClaimRequest, HourDelta, HourRef, LastValue, UsageHour };
export { hourRefKey } from './usage-reads';
/** One item of a DynamoDB transaction (usage alerts add theirs to a chunk's). */
export type { TransactItem } from '../store/dynamo';

/**
 * The usage table: one claim per identifier (exactly-once), apply markers, and hourly usage
 * items with one attribute per minute so that any minute-aligned window reads whole hours.
 * One dependency for the jobs of its own files: claims (usage-claims.ts), applying chunks
 * (usage-apply.ts), cancellation (usage-cancel.ts) and reads (usage-reads.ts).
 */
export class UsageStore {
  private readonly table: UsageTable;
  private readonly insertClaim: ClaimStatements;
  /** The keys of this store's mode: usage and identifiers of the other mode are never read or claimed. */
  readonly keys: ModeKeys;

  constructor(
    db: DynamoDBDocumentClient,
    tableName: string,
    readonly mode: Mode,
  ) {
    this.keys = keysFor(mode);
    this.table = { db, tableName, keys: this.keys };
    this.insertClaim = claimInsertStatements(tableName);
  }

  /** Claims identifiers for the chunks that will apply them (see usage-claims.ts claimMany). */
  claimMany(requests: readonly ClaimRequest[], nowMs: number): Promise<Map<string, ClaimOutcome | Error>> {
    return claimMany(this.table, this.insertClaim, requests, nowMs);
  }

  /** The claim of an identifier, read consistently. */
  getClaim(identifier: string): Promise<Claim | undefined> {
    return getClaim(this.table, identifier);
  }

  /** Takes over the claim of an attempt that died before applying it. */
  adoptClaim(claim: Claim, chunk: string, nowMs: number): Promise<boolean> {
    return adoptClaim(this.table, claim, chunk, nowMs);
  }

  /** Which of these chunks have been applied (strongly consistent). */
  appliedChunks(chunks: Iterable<string>): Promise<Set<string>> {
    return appliedChunks(this.table, chunks);
  }

  /** Applies a sum or count chunk and its marker in one transaction. */
  applyChunk(chunk: string, deltas: readonly HourDelta[], nowSeconds: number, alsoWrite: readonly TransactItem[] = []): Promise<void> {
    return applyChunk(this.table, chunk, deltas, nowSeconds, alsoWrite);
  }

  /** Records the latest value of a minute of a `last` meter. */
  applyLast(last: LastValue): Promise<void> {
    return applyLast(this.table, last);
  }

  /** Writes the marker of a chunk of `last` values. */
  markApplied(chunk: string, nowSeconds: number): Promise<void> {
    return markApplied(this.table, chunk, nowSeconds);
  }

  /** Cancels an applied sum or count event, with what the cancellation changes elsewhere. */
  cancelApplied(claim: Claim, nowSeconds: number, also: readonly TransactItem[] = []): Promise<boolean> {
    return cancelApplied(this.table, claim, nowSeconds, also);
  }

  /** Cancels a claim that no aggregate counts (never applied, or a `last` value). */
  cancelUnapplied(claim: Claim, nowSeconds: number): Promise<boolean> {
    return cancelUnapplied(this.table, claim, nowSeconds);
  }

  /** Hourly usage items of a meter and customer for hours in [fromHour, toHour]. */
  readHours(meterId: string, customerId: string, fromHour: number, toHour: number): Promise<UsageHour[]> {
    return readHours(this.table, meterId, customerId, fromHour, toHour);
  }

  /** The combinations of dimension values these hourly items list, read consistently (by hourRefKey). */
  readCombinations(hours: readonly HourRef[]): Promise<Map<string, Set<string>>> {
    return readCombinations(this.table, hours);
  }
}
