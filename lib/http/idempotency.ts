import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyError, InvalidRequestError } from '../errors';
import { accountKeys } from '../store/keys';
import { isConditionFailure, itemOfConditionFailure } from '../store/dynamo';

export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Reservation =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse };

/** Parameters in one canonical form: objects with sorted keys, so their order never matters. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.keys(value)
    .sort()
    .map((key) => [key, canonical((value as Record<string, unknown>)[key])]);
}

/**
 * Idempotency-Key support: the first request with a key reserves it, its response is stored and
 * replayed for 24 hours; the same key with other parameters is an idempotency_error. A
 * reservation whose request can no longer be running (it crashed, or its function timed out)
 * expires with that request's time budget, so a retry then runs again, as in Powertools' idempotency.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The request as idempotency compares it: method, path and its parsed parameters (query and body), in any order. */
  static fingerprint(method: string, path: string, input: Record<string, unknown>): string {
    return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(canonical(input))}`).digest('hex');
  }

  /**
   * Reserves `key` for a request that may run until `nowMs + budgetMs`; replays the stored
   * response of a finished one.
   */
  async reserve(owner: string, key: string, fingerprint: string, nowMs: number, budgetMs: number): Promise<Reservation> {
    if (key.length > 255) throw new InvalidRequestError('Idempotency keys can be at most 255 characters.', 'Idempotency-Key');
    const now = Math.floor(nowMs / 1000);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...accountKeys.idempotency(owner, key),
            fingerprint,
            state: 'pending',
            in_progress_until_ms: nowMs + budgetMs,
            expires_at: now + IDEMPOTENCY_WINDOW_SECONDS,
          },
          // An expired record may linger until TTL removes it; it no longer counts. Nor does the
          // reservation of a request that can no longer be running.
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR (#s = :pending AND in_progress_until_ms < :nowMs)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':now': now, ':nowMs': nowMs, ':pending': 'pending' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = itemOfConditionFailure(error);
      if (!old) throw error;
      if (old.fingerprint !== fingerprint) {
        throw new IdempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      if (old.state !== 'done') {
        throw new IdempotencyError(
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please retry in a moment.',
          409,
        );
      }
      return { kind: 'replay', response: JSON.parse(String(old.response)) as StoredResponse };
    }
  }

  async complete(owner: string, key: string, response: StoredResponse): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: accountKeys.idempotency(owner, key),
        UpdateExpression: 'SET #s = :done, #r = :response REMOVE in_progress_until_ms',
        ExpressionAttributeNames: { '#s': 'state', '#r': 'response' },
        ExpressionAttributeValues: { ':done': 'done', ':response': JSON.stringify(response) },
      }),
    );
  }

  /** Frees the key after a failed request, so that a retry runs again. */
  async release(owner: string, key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: accountKeys.idempotency(owner, key) }));
  }
}
