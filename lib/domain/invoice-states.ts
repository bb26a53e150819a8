/**
 * The invoice state machine, as one transition table: every action on an invoice (the API's
 * finalize, pay, void and mark_uncollectible, and the billing cycle's finalization) asks it.
 *
 *   draft ──finalize──> open ──pay──> paid            (finalize goes straight to paid when nothing is due)
 *                        │ └──mark_uncollectible──> uncollectible ──pay──> paid
 *                        └──void──> void <──void──────┘
 */

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export type InvoiceAction = 'finalize' | 'pay' | 'void' | 'mark_uncollectible';

interface Transition {
  /** The states the action may start from. */
  readonly from: readonly InvoiceStatus[];
  /** The states it may lead to. */
  readonly to: readonly InvoiceStatus[];
  /** How an error names the action ("You can only mark uncollectible an invoice that is open"). */
  readonly verb: string;
}

export const INVOICE_TRANSITIONS: Readonly<Record<InvoiceAction, Transition>> = {
  finalize: { from: ['draft'], to: ['open', 'paid'], verb: 'finalize' },
  pay: { from: ['open', 'uncollectible'], to: ['paid'], verb: 'pay' },
  void: { from: ['open', 'uncollectible'], to: ['void'], verb: 'void' },
  mark_uncollectible: { from: ['open'], to: ['uncollectible'], verb: 'mark uncollectible' },
};

/** Whether `action` may be taken on an invoice in `status`. */
export const allows = (action: InvoiceAction, status: InvoiceStatus) => INVOICE_TRANSITIONS[action].from.includes(status);

/** Whether the invoice is final: finalized, its document issued (everything but a draft). */
export const isFinalized = (status: InvoiceStatus) => status !== 'draft';
