import { retryLostRaces } from '../domain/concurrency';
import type { CreditLedger } from './ledger';

/** Attempts before a grant's expiry gives up for this job (the job is retried from the queue). */
const ATTEMPTS = 5;

export interface ExpireDueGrantDeps {
  ledger: CreditLedger;
  /** Brings the customer's subscriptions up to `until`: every invoice finalizing before the expiry spends the grant first. */
  settle(customer: string, until: number): Promise<void>;
}

/**
 * The billing worker's job for a grant whose `expires_at` has come (the grant sits in the due
 * index until then): posts what is left of it as `credits_expired`, effective at `expires_at`.
 * Invoices that finalize before the expiry may still spend the grant, whatever order the jobs run
 * in, because the customer's billing is first brought up to the expiry. Safe to retry and to run
 * concurrently: the grant is written on condition of the version read, and an expired grant is
 * left alone.
 */
export function makeExpireDueGrant(deps: ExpireDueGrantDeps) {
  return async function expireDueGrant(id: string, now: number): Promise<void> {
    const first = await deps.ledger.getGrant(id);
    const expiresAt = first?.grant.expires_at;
    if (!first || expiresAt == null || expiresAt > now) return;
    await deps.settle(first.grant.customer, expiresAt);
    await retryLostRaces(ATTEMPTS, async () => {
      const stored = await deps.ledger.getGrant(id);
      // Expired, voided or moved meanwhile: nothing left to do here.
      if (!stored || stored.expired || stored.grant.voided_at !== null || stored.grant.expires_at !== expiresAt) return true;
      const entries = stored.remaining > 0 ? [{ type: 'credits_expired' as const, amount: stored.remaining, at: expiresAt }] : [];
      const posted = deps.ledger.post(stored, entries, { expired: true });
      const alerts = await deps.ledger.alertWrites(stored.grant.customer, [posted.stored], expiresAt);
      return (await deps.ledger.objects.transact([...posted.writes, ...alerts])) || undefined;
    }, () => new Error(`Credit grant ${id}: its expiry kept losing races.`));
  };
}
