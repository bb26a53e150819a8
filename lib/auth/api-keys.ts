import { createHash, timingSafeEqual } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newId, randomToken } from '../domain/ids';
import { accountKeys } from '../store/keys';
import { mainTable } from '../store/resources';
import { batchGetItems, isConditionFailure } from '../store/dynamo';

/**
 * Permissions a restricted key can hold; secret keys hold all of them. `read_only` reads every
 * object (each GET route) and changes none: what an operator console needs for support staff.
 */
export const scopes = ['meter_events:write', 'read_only'] as const;
export type Scope = (typeof scopes)[number];

export type KeyType = 'secret' | 'restricted';

export interface ApiKeyRecord {
  id: string;
  type: KeyType;
  name: string;
  livemode: boolean;
  scopes: Scope[];
  created: number;
  /** Last four characters of the secret, for display. */
  last4: string;
  revoked?: number;
}

/** Who is calling: resolved from the Authorization header. */
export interface Principal {
  keyId: string;
  type: KeyType;
  livemode: boolean;
  scopes: readonly Scope[];
  /** The SHA-256 of the key's secret: what a meter event session checks its key by. Never shown. */
  keyHash?: string;
}

/** Verifies a meter event session token (the `session` routes' credential). */
export interface SessionVerifier {
  /** The principal of a live meter event session token; throws when it expired. */
  verify(token: string, now: number): Promise<Principal | undefined>;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** True when `principal` may call a route of `method` that needs `scope` (a secret key when none); secret keys may do everything. */
export function allows(principal: Principal, scope: Scope | undefined, method: string): boolean {
  if (principal.type === 'secret') return true;
  if (method === 'GET' && principal.scopes.includes('read_only')) return true;
  return scope !== undefined && principal.scopes.includes(scope);
}

/** A container trusts a verified key this long: a revoked key (and its sessions) stops working within it. */
export const KEY_CACHE_SECONDS = 2;

/**
 * API keys: stored by the SHA-256 of the secret, never the secret itself. A lookup by hash finds
 * the record; the stored hash is then compared in constant time.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Seconds a verified key is trusted without reading it again: the most a revocation takes to apply. */
    private readonly cacheSeconds = KEY_CACHE_SECONDS,
  ) {}

  /** Creates a key and returns its secret, shown only this once. */
  async create(options: {
    type: KeyType;
    name: string;
    livemode: boolean;
    scopes?: Scope[];
    now: number;
    /** Registers a given secret (the local stack's METERLINE_API_KEY) instead of a new one. */
    secret?: string;
  }): Promise<{ secret: string; record: ApiKeyRecord }> {
    const mode = options.livemode ? 'live' : 'test';
    const prefix = options.type === 'secret' ? 'sk' : 'rk';
    const secret = options.secret ?? `${prefix}_${mode}_${randomToken(48)}`;
    const record: ApiKeyRecord = {
      id: newId('apiKey', options.now * 1000),
      type: options.type,
      name: options.name,
      livemode: options.livemode,
      scopes: options.type === 'secret' ? [...scopes] : (options.scopes ?? []),
      created: options.now,
      last4: secret.slice(-4),
    };
    const hash = hashSecret(secret);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...accountKeys.apiKeySecret(hash), ...accountKeys.apiKeyList(record.created, record.id), hash, key: record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The same secret registered again (a restart of the local stack): keep the first record.
      const existing = await this.read(hash);
      if (existing && !existing.revoked) return { secret, record: existing };
      throw new Error('This key was revoked and cannot be registered again.');
    }
    return { secret, record };
  }

  /** Revokes the key with this id or secret; false when none matches. */
  async revoke(secretOrHash: string, now: number): Promise<boolean> {
    const hash = /^[0-9a-f]{64}$/.test(secretOrHash) ? secretOrHash : hashSecret(secretOrHash);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: accountKeys.apiKeySecret(hash),
          UpdateExpression: 'SET #k.revoked = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#k': 'key' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      this.cache.delete(hash);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Every key, newest first (for operators: `npm run keys -- list`). */
  async list(): Promise<(ApiKeyRecord & { hash: string })[]> {
    const index = mainTable.indexes[0]!;
    const records: (ApiKeyRecord & { hash: string })[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: `${index.partitionKey} = :p`,
          ExpressionAttributeValues: { ':p': accountKeys.apiKeyListPartition() },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      // The index holds keys only: the records themselves are one BatchGetItem away.
      const items = await batchGetItems(this.db, this.tableName, (out.Items ?? []).map((entry) => ({ pk: entry.pk, sk: entry.sk })));
      const byPk = new Map(items.map((item) => [String(item.pk), item]));
      for (const entry of out.Items ?? []) {
        const item = byPk.get(String(entry.pk));
        if (item) records.push({ ...(item.key as ApiKeyRecord), hash: String(item.hash) });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  /** Revokes the key with this id (`key_...`); false when there is none. */
  async revokeById(id: string, now: number): Promise<boolean> {
    const record = (await this.list()).find((r) => r.id === id);
    return record ? this.revoke(record.hash, now) : false;
  }

  private async read(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: accountKeys.apiKeySecret(hash), ConsistentRead: true }),
    );
    if (!Item || typeof Item.hash !== 'string') return undefined;
    const same = timingSafeEqual(Buffer.from(Item.hash, 'hex'), Buffer.from(hash, 'hex'));
    return same ? (Item.key as ApiKeyRecord) : undefined;
  }

  /** The principal behind a presented secret, or undefined when it is unknown or revoked. */
  async verify(secret: string, nowMs: number): Promise<Principal | undefined> {
    if (!/^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,200}$/.test(secret)) return undefined;
    return this.verifyHash(hashSecret(secret), nowMs);
  }

  /** The principal of the key with this secret hash, or undefined when it is unknown or revoked. */
  async verifyHash(hash: string, nowMs: number): Promise<Principal | undefined> {
    const cached = this.cache.get(hash);
    if (cached && cached.until > nowMs) return cached.principal;
    const record = await this.read(hash);
    if (!record || record.revoked) {
      this.cache.delete(hash);
      return undefined;
    }
    const principal: Principal = { keyId: record.id, type: record.type, livemode: record.livemode, scopes: record.scopes, keyHash: hash };
    this.cache.set(hash, { principal, until: nowMs + this.cacheSeconds * 1000 });
    return principal;
  }
}
