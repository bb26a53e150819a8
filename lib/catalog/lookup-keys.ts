import { ConflictError } from '../errors';
import type { ObjectStore } from '../store/objects';

type TransactItems = Parameters<ObjectStore['transact']>[0];

/**
 * Price lookup keys: each is held by at most one price, through a claim item that the price's
 * transaction writes (or moves, with `transfer_lookup_key`).
 */
export class LookupKeys {
  constructor(private readonly store: ObjectStore) {}

  /**
   * The transaction items that give `lookupKey` to price `priceId`. The key must be free, unless
   * `transfer` moves it from the price that holds it (which loses it in the same transaction).
   */
  async claim(lookupKey: string, priceId: string, transfer: boolean): Promise<TransactItems> {
    const claim = { ...this.store.keys.priceLookupKey(lookupKey), price_id: priceId };
    const holder = await this.holder(lookupKey);
    if (holder === undefined || holder === priceId) {
      return [{ Put: { TableName: this.store.tableName, Item: claim, ConditionExpression: 'attribute_not_exists(pk) OR price_id = :self', ExpressionAttributeValues: { ':self': priceId } } }];
    }
    if (!transfer) throw taken(lookupKey, holder);
    return [
      {
        Put: {
          TableName: this.store.tableName,
          Item: claim,
          ConditionExpression: 'price_id = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        },
      },
      {
        // Only the key changes on the previous holder, so a concurrent update of it is kept.
        Update: {
          TableName: this.store.tableName,
          Key: this.store.keys.object('price', holder),
          UpdateExpression: 'SET #object.#lookup_key = :null',
          ConditionExpression: '#object.#lookup_key = :key',
          ExpressionAttributeNames: { '#object': 'object', '#lookup_key': 'lookup_key' },
          ExpressionAttributeValues: { ':null': null, ':key': lookupKey },
        },
      },
    ];
  }

  /** The transaction item that gives up `lookupKey`, held by `priceId`. */
  release(lookupKey: string, priceId: string): TransactItems[number] {
    return {
      Delete: {
        TableName: this.store.tableName,
        Key: this.store.keys.priceLookupKey(lookupKey),
        ConditionExpression: 'price_id = :self',
        ExpressionAttributeValues: { ':self': priceId },
      },
    };
  }

  /** The ids of the prices holding `lookupKeys` (one read of the claims). */
  async holders(lookupKeys: string[]): Promise<string[]> {
    const claims = await this.store.getItems([...new Set(lookupKeys)].map((k) => this.store.keys.priceLookupKey(k)));
    return claims.flatMap((claim) => (typeof claim?.price_id === 'string' ? [claim.price_id] : []));
  }

  /** After a failed transaction: a lookup key taken in the meantime is the likely cause. */
  async explainLostRace(lookupKey: string | null, transfer: boolean): Promise<void> {
    if (lookupKey === null) return;
    const holder = await this.holder(lookupKey);
    if (holder !== undefined && !transfer) throw taken(lookupKey, holder);
    if (holder !== undefined) {
      throw new ConflictError(`The lookup key '${lookupKey}' moved while it was being transferred; retry.`, 'lookup_key', 'lock_timeout');
    }
  }

  private async holder(lookupKey: string): Promise<string | undefined> {
    const item = await this.store.getItem(this.store.keys.priceLookupKey(lookupKey), true);
    return typeof item?.price_id === 'string' ? item.price_id : undefined;
  }
}

function taken(lookupKey: string, holder: string) {
  return new ConflictError(`A price (\`${holder}\`) already uses the lookup key '${lookupKey}'. Pass transfer_lookup_key=true to move it.`, 'lookup_key');
}
