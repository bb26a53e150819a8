import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { timingSafeEqual } from 'node:crypto';
import { hashSecret, type ApiKeys, type Principal, type SessionVerifier } from '../auth/api-keys';
import { AuthenticationError } from '../errors';
import { newId, randomToken } from '../domain/ids';
import { accountKeys } from '../store/keys';

export const SESSION_SECONDS = 15 * 60;

export interface MeterEventSession {
  id: string;
  object: 'v2.billing.meter_event_session';
  authentication_token: string;
  created: string;
  expires_at: string;
  livemode: boolean;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Meter event sessions: short-lived tokens for the high-throughput stream. Only the token's hash
 * is stored; the item expires with the session (DynamoDB TTL cleans it up). Sessions belong to
 * the account, not to a mode: each names its key's principal, whose mode the stream's events take.
 */
export class MeterEventSessions implements SessionVerifier {
  private readonly cache = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The keys sessions are made with: a session works only while its key does. */
    private readonly apiKeys: Pick<ApiKeys, 'verifyHash'>,
  ) {}

  async create(principal: Principal, now: number): Promise<MeterEventSession> {
    const token = `mes_token_${randomToken(48)}`;
    const session: MeterEventSession = {
      id: newId('meterEventSession', now * 1000),
      object: 'v2.billing.meter_event_session',
      authentication_token: token,
      created: iso(now),
      expires_at: iso(now + SESSION_SECONDS),
      livemode: principal.livemode,
    };
    const hash = hashSecret(token);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...accountKeys.sessionToken(hash), hash, principal, expires_at: now + SESSION_SECONDS },
      }),
    );
    return session;
  }

  async verify(token: string, now: number): Promise<Principal | undefined> {
    if (!/^mes_token_[A-Za-z0-9]{48}$/.test(token)) return undefined;
    const hash = hashSecret(token);
    let entry = this.cache.get(hash);
    if (!entry) {
      const { Item: item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: accountKeys.sessionToken(hash), ConsistentRead: true }));
      if (!item || typeof item.hash !== 'string') return undefined;
      if (!timingSafeEqual(Buffer.from(item.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
      entry = { principal: item.principal as Principal, expires: Number(item.expires_at) };
      this.cache.set(hash, entry);
    }
    if (entry.expires <= now) {
      this.cache.delete(hash);
      throw new AuthenticationError('The meter event session has expired. Create a new session.', 'billing_meter_event_session_expired');
    }
    // Revoking a key ends its sessions (within the key cache's few seconds).
    const key = entry.principal.keyHash ? await this.apiKeys.verifyHash(entry.principal.keyHash, now * 1000) : undefined;
    return key ? entry.principal : undefined;
  }
}
