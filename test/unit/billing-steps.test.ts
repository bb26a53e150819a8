import { describe, expect, it } from 'vitest';
import { nextStep } from '../../lib/billing/advance-subscription';
import { dueAt } from '../../lib/billing/billing-store';
import type { StoredSubscription, Subscription } from '../../lib/billing/model';

const JAN_1 = Date.UTC(2026, 0, 1) / 1000;
const FEB_1 = Date.UTC(2026, 1, 1) / 1000;
const MAR_1 = Date.UTC(2026, 2, 1) / 1000;
const HOUR = 3600;

function stored(overrides: { status?: Subscription['status']; period?: number; drafts?: { invoice: string; finalize_at: number }[] } = {}): StoredSubscription {
  return {
    subscription: { id: 'sub_1', status: overrides.status ?? 'active' } as Subscription,
    billing: {
      clock: 'live',
      cycle: { start: JAN_1, anchor: JAN_1, interval: 'month', intervalCount: 1 },
      period: overrides.period ?? 0,
      drafts: overrides.drafts ?? [],
      ended_items: [],
    },
    version: 1,
  };
}

describe('nextStep', () => {
  it('has nothing to do before the period ends', () => {
    expect(nextStep(stored(), FEB_1 - 1)).toBeUndefined();
  });

  it('closes the period at its end', () => {
    expect(nextStep(stored(), FEB_1)).toEqual({ kind: 'close', at: FEB_1 });
  });

  it('finalizes a draft whose grace has passed before closing a later period', () => {
    const draft = { invoice: 'in_1', finalize_at: FEB_1 + HOUR };
    expect(nextStep(stored({ period: 1, drafts: [draft] }), MAR_1 + 2 * HOUR)).toEqual({ kind: 'finalize', at: FEB_1 + HOUR, draft });
  });

  it('finalizes first when a grace expiry and a period end fall at the same time', () => {
    const draft = { invoice: 'in_1', finalize_at: MAR_1 };
    expect(nextStep(stored({ period: 1, drafts: [draft] }), MAR_1)).toMatchObject({ kind: 'finalize' });
  });

  it('takes the drafts in time order, whatever order they were stored in', () => {
    const later = { invoice: 'in_2', finalize_at: FEB_1 + 2 * HOUR };
    const sooner = { invoice: 'in_1', finalize_at: FEB_1 + HOUR };
    expect(nextStep(stored({ period: 1, drafts: [later, sooner] }), MAR_1 - 1)).toMatchObject({ draft: sooner });
  });

  it('closes no period of a canceled subscription but still finalizes its drafts', () => {
    const draft = { invoice: 'in_1', finalize_at: FEB_1 };
    expect(nextStep(stored({ status: 'canceled' }), MAR_1 * 2)).toBeUndefined();
    expect(nextStep(stored({ status: 'canceled', drafts: [draft] }), FEB_1)).toMatchObject({ kind: 'finalize' });
  });
});

describe('dueAt', () => {
  it('is the period end of an active subscription without drafts', () => {
    expect(dueAt(stored())).toBe(FEB_1);
  });

  it('is the earliest of the period end and the drafts', () => {
    expect(dueAt(stored({ period: 1, drafts: [{ invoice: 'in_1', finalize_at: FEB_1 + HOUR }] }))).toBe(FEB_1 + HOUR);
  });

  it('is undefined for a canceled subscription with nothing left to finalize, so it leaves the due index', () => {
    expect(dueAt(stored({ status: 'canceled' }))).toBeUndefined();
  });
});
