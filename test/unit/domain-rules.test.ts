import { describe, expect, it } from 'vitest';
import { BACKOFF, backoffMs } from '../../lib/domain/retry';
import { allows, INVOICE_STATUSES, INVOICE_TRANSITIONS, type InvoiceAction } from '../../lib/domain/invoice-states';

describe('backoff', () => {
  it('doubles from the policy base, and jitter takes a random part of the wait', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(BACKOFF.queueSend, attempt))).toEqual([25, 50, 100, 200]);
    expect(backoffMs(BACKOFF.chunkConflict, 3, () => 0.5)).toBe(40);
    expect(backoffMs(BACKOFF.chunkConflict, 3, () => 0)).toBe(0);
  });
});

describe('the invoice state machine', () => {
  it('allows exactly Stripe’s transitions', () => {
    const table = Object.fromEntries(
      (Object.keys(INVOICE_TRANSITIONS) as InvoiceAction[]).map((action) => [action, INVOICE_STATUSES.filter((status) => allows(action, status))]),
    );
    expect(table).toEqual({
      finalize: ['draft'],
      pay: ['open', 'uncollectible'],
      void: ['open', 'uncollectible'],
      mark_uncollectible: ['open'],
    });
  });

  it('never leads out of paid or void', () => {
    for (const transition of Object.values(INVOICE_TRANSITIONS)) expect(transition.from.some((s) => s === 'paid' || s === 'void')).toBe(false);
  });
});
