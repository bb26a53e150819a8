import type { TransactItem } from '../store/dynamo';
import type { Invoice } from './model';
import { groupBy } from '../domain/collections';
import type { CreditLedger, EntryInput } from '../credits/ledger';
import type { StoredGrant } from '../credits/model';

/**
 * The ledger writes that give back the credits a voided invoice used: one
 * `credits_application_invoice_voided` credit per entry that paid it. Credits of a grant voided
 * or expired in the meantime are taken away again at once (`credits_voided`, `credits_expired`).
 * Each grant is written on condition of the version read, in the void's transaction.
 */
export function makeRestoreCredits(deps: { ledger: CreditLedger }) {
  return async function restoreCredits(invoice: Invoice, at: number): Promise<TransactItem[]> {
    const ids = invoice.total_pretax_credit_amounts.map((credit) => credit.credit_balance_transaction);
    if (!ids.length) return [];
    const applied = await deps.ledger.entries(ids);
    const writes: TransactItem[] = [];
    const posts: StoredGrant[] = [];
    for (const [grantId, entries] of groupBy(applied, (entry) => entry.credit_grant)) {
      const stored = await deps.ledger.getGrant(grantId);
      if (!stored) throw new Error(`Credit grant ${grantId} of invoice ${invoice.id} is missing.`);
      const { grant } = stored;
      const gone = grant.voided_at !== null ? 'credits_voided' : grant.expires_at !== null && grant.expires_at <= at ? 'credits_expired' : undefined;
      const inputs = entries.flatMap((entry): EntryInput[] => {
        const amount = entry.debit!.amount.monetary.value;
        const restored: EntryInput = { type: 'credits_application_invoice_voided', amount, at, line: entry.debit!.credits_applied ?? undefined };
        return gone ? [restored, { type: gone, amount, at }] : [restored];
      });
      const posted = deps.ledger.post(stored, inputs);
      writes.push(...posted.writes);
      posts.push(posted.stored);
    }
    writes.push(...(await deps.ledger.alertWrites(invoice.customer, posts, at)));
    return writes;
  };
}

export type RestoreCredits = ReturnType<typeof makeRestoreCredits>;
