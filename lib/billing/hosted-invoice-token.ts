import { createHash, randomBytes } from 'node:crypto';
import { accountKeys, modeOf } from '../store/keys';
import type { TransactItem } from '../store/dynamo';
import type { Invoice } from './model';

/** 192 random bits, URL-safe: the only way to a hosted invoice page (not derivable from the invoice id). */
export const newHostedToken = () => randomBytes(24).toString('base64url');

/** Tokens are looked up by their hash, so the table never holds one that opens a page. */
export const hostedTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** What a hosted token names: the invoice and its mode. */
export interface HostedInvoiceEntry {
  invoice: string;
  livemode: boolean;
}

/** The write that makes `token` open `invoice`'s page (in the transaction that finalizes it). */
export function hostedTokenPut(tableName: string, token: string, invoice: Invoice): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...accountKeys.hostedInvoice(hostedTokenHash(token)), invoice: invoice.id, livemode: invoice.livemode, mode: modeOf(invoice.livemode) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
