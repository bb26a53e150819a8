import type { Logger } from '@aws-lambda-powertools/logger';
import { period } from '../domain/periods';
import { allows } from '../domain/invoice-states';
import { eventPut, previousAttributes } from '../events/events';
import type { ApplyCredits } from './apply-credits';
import type { BillingStore } from './billing-store';
import { draftInvoice } from './draft-invoice';
import { finalizeInvoice } from './finalize-invoice';
import type { InvoiceBuilder } from './invoice-builder';
import type { PendingDraft, StoredSubscription } from './model';

export interface AdvanceDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  applyCredits: ApplyCredits;
  /** How long a closed period's invoice stays draft. */
  graceSeconds: number;
  nowMs: () => number;
  logger?: Logger;
  /** Test hook: runs after a step's invoice is built and before its transaction (the crash window). */
  beforeCommit?: (step: Step) => Promise<void>;
}

export type Step = { kind: 'close'; at: number } | { kind: 'finalize'; at: number; draft: PendingDraft };

/** The earliest piece of work due by `now`: a period end or a draft's grace expiry (grace expiries first on a tie). */
export function nextStep(stored: StoredSubscription, now: number): Step | undefined {
  const drafts = [...stored.billing.drafts].sort((a, b) => a.finalize_at - b.finalize_at);
  const draft = drafts[0];
  const periodEnd = stored.subscription.status === 'active' ? period(stored.billing.cycle, stored.billing.period).end : Infinity;
  if (draft && draft.finalize_at <= now && draft.finalize_at <= periodEnd) return { kind: 'finalize', at: draft.finalize_at, draft };
  if (periodEnd <= now) return { kind: 'close', at: periodEnd };
  return undefined;
}

/** Steps one subscription may take in one call; a daily subscription advanced by years stays well under it. */
const MAX_STEPS = 20_000;
/** Concurrent workers make a step fail now and then; failing this often in a row means something else is wrong. */
const MAX_LOST_RACES = 25;

/**
 * The billing worker's use case: brings one subscription up to `now`, one step at a time in time
 * order. Each step is one transaction conditioned on the subscription's version, so retries,
 * crashes and concurrent workers can only repeat a read, never a write: a step whose
 * transaction fails is simply re-planned from the subscription as it now is. The invoice of a
 * period is also claimed by (subscription, boundary), so it exists at most once.
 */
export function makeAdvanceSubscription(deps: AdvanceDeps) {
  const { store } = deps;

  /** Each step returns the subscription as it wrote it, or undefined when its transaction lost a race. */
  async function closePeriod(stored: StoredSubscription, at: number): Promise<StoredSubscription | undefined> {
    const { subscription, billing } = stored;
    const ended = period(billing.cycle, billing.period);
    const next = period(billing.cycle, billing.period + 1);
    const ending = subscription.cancel_at_period_end;
    const draft = await draftInvoice(deps, stored, { reason: 'subscription_cycle', at, usage: ended, withNextFees: !ending, claim: true });
    const drafts = draft ? [...billing.drafts, draft.reminder] : billing.drafts;
    const writes = draft ? [...draft.writes] : [];
    const latest = draft?.invoice.id ?? subscription.latest_invoice;
    const items = subscription.items.data.map((item) => ({ ...item, current_period_start: next.start, current_period_end: next.end }));
    const advanced: StoredSubscription = {
      subscription: {
        ...subscription,
        items: { ...subscription.items, data: items },
        latest_invoice: latest,
        ...(ending ? { status: 'canceled' as const, ended_at: at, canceled_at: subscription.canceled_at ?? at } : {}),
      },
      billing: { ...billing, period: billing.period + 1, drafts, ended_items: [] },
      version: stored.version + 1,
    };
    writes.push(store.subscriptionPut(advanced, stored.version));
    // A renewal moves the items' periods (and the latest invoice): Stripe reports it as an update.
    const type = ending ? 'customer.subscription.deleted' : 'customer.subscription.updated';
    const previous = ending ? undefined : previousAttributes(subscription, advanced.subscription);
    writes.push(eventPut(store.tableName, { type, object: advanced.subscription, created: at, previous, nowMs: deps.nowMs() }));
    await deps.beforeCommit?.({ kind: 'close', at });
    return (await store.transact(writes)) ? advanced : undefined;
  }

  async function finalizeDraft(stored: StoredSubscription, step: Extract<Step, { kind: 'finalize' }>): Promise<StoredSubscription | undefined> {
    const remaining = stored.billing.drafts.filter((draft) => draft.invoice !== step.draft.invoice);
    const after: StoredSubscription = { ...stored, billing: { ...stored.billing, drafts: remaining }, version: stored.version + 1 };
    const writes = [store.subscriptionPut(after, stored.version)];
    const draft = await store.getInvoice(step.draft.invoice, true);
    // Finalized by hand (or voided) in the meantime: only the reminder goes.
    if (draft && allows('finalize', draft.status)) {
      const { writes: finalized } = await finalizeInvoice(deps, draft, stored.subscription, step.at);
      writes.push(...finalized);
    }
    await deps.beforeCommit?.(step);
    return (await store.transact(writes)) ? after : undefined;
  }

  return async function advanceSubscription(subscriptionId: string, now: number): Promise<void> {
    let lost = 0;
    // After a step that committed, the state it wrote is the state to plan from; only a lost race
    // (someone else changed the subscription) needs a fresh read.
    let stored = await store.getSubscription(subscriptionId);
    for (let steps = 0; stored && steps < MAX_STEPS; steps++) {
      const step = nextStep(stored, now);
      if (!step) return;
      const written = step.kind === 'close' ? await closePeriod(stored, step.at) : await finalizeDraft(stored, step);
      if (written) lost = 0;
      else if (++lost > MAX_LOST_RACES) throw new Error(`Subscription ${subscriptionId}: step at ${step.at} keeps failing its conditions.`);
      else deps.logger?.debug('billing step lost a race; re-planning', { subscriptionId, step });
      stored = written ?? (await store.getSubscription(subscriptionId));
    }
    if (!stored) return;
    throw new Error(`Subscription ${subscriptionId} still has work due after ${MAX_STEPS} steps.`);
  };
}
