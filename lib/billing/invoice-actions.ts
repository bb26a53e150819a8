import { InvalidRequestError, NotFoundError } from '../errors';
import { retryLostRaces } from '../domain/concurrency';
import { eventPut } from '../events/events';
import type { ApplyCredits } from './apply-credits';
import type { RestoreCredits } from './restore-credits';
import type { BillingStore } from './billing-store';
import type { TransactItem } from '../store/dynamo';
import { finalizeInvoice } from './finalize-invoice';
import type { InvoiceBuilder } from './invoice-builder';
import type { Invoice, InvoiceLine } from './model';
import { pageInMemory } from '../store/memory-page';
import type { ListPage, PageQuery } from '../store/objects';
import { allows, INVOICE_TRANSITIONS, type InvoiceAction } from '../domain/invoice-states';
import type { TestClocks } from '../clocks/test-clocks';

export interface InvoiceActionDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  clocks: TestClocks;
  applyCredits: ApplyCredits;
  restoreCredits: RestoreCredits;
  nowMs: () => number;
}

/** Attempts of a transition that keeps losing races (with another invoice spending the same credits). */
const ATTEMPTS = 5;

/**
 * The invoice state machine behind /v1/invoices/:id/{finalize,void,pay,mark_uncollectible}:
 * draft → open → paid | uncollectible | void (uncollectible → paid | void). Every transition is
 * written on condition that the invoice is still in the state it was read in (and the credit
 * grants it spends or restores at their versions); one that loses a race is re-read and retried.
 */
export class InvoiceActions {
  constructor(private readonly deps: InvoiceActionDeps) {}

  async retrieve(id: string, param = 'id'): Promise<Invoice> {
    const invoice = await this.deps.store.getInvoice(id);
    if (!invoice) throw new NotFoundError('invoice', id, param);
    return invoice;
  }

  /** GET /v1/invoices/:id/lines: the invoice's lines in their order, paged as Stripe pages. */
  async lines(id: string, page: PageQuery): Promise<ListPage<InvoiceLine>> {
    const lines = (await this.retrieve(id)).lines.data;
    const cursor = page.startingAfter ?? page.endingBefore;
    if (cursor === undefined) return pageInMemory(lines, page, () => 0);
    const at = lines.findIndex((line) => line.id === cursor);
    if (at < 0) throw new NotFoundError('line_item', cursor, page.startingAfter ? 'starting_after' : 'ending_before');
    const index = new Map(lines.map((line, i) => [line, i]));
    return pageInMemory(lines, page, (line) => Math.sign(index.get(line)! - at));
  }

  /** Finalizes a draft now, without waiting for its grace period. */
  async finalize(id: string, requestNow: number): Promise<Invoice> {
    return this.retrying(async () => {
      const draft = await this.inState(id, 'finalize');
      const at = await this.deps.clocks.timeOf(draft.test_clock, requestNow);
      const subscription = draft.subscription ? (await this.deps.store.getSubscription(draft.subscription))?.subscription : undefined;
      const { invoice, writes } = await finalizeInvoice(this.deps, draft, subscription, at);
      return (await this.deps.store.transact(writes)) ? invoice : undefined;
    });
  }

  /** Voids an open invoice; the credits it used go back to their grants. */
  async void(id: string, requestNow: number): Promise<Invoice> {
    return this.move(id, 'void', 'invoice.voided', (current, at) => ({
      status: 'void',
      amount_remaining: 0,
      status_transitions: { ...current.status_transitions, voided_at: at },
    }), requestNow, async (current, at) => [this.deps.store.invoicedTotalUpdate(current, -1), ...(await this.deps.restoreCredits(current, at))]);
  }

  /** Records a payment made outside Meterline (Meterline moves no money). */
  async pay(id: string, { paid_out_of_band: outOfBand }: { paid_out_of_band?: boolean }, requestNow: number): Promise<Invoice> {
    if (!outOfBand) {
      throw new InvalidRequestError('Meterline collects no payments: record one made elsewhere with paid_out_of_band=true.', 'paid_out_of_band');
    }
    return this.move(id, 'pay', 'invoice.paid', (current, at) => ({
      status: 'paid',
      amount_paid: current.amount_due,
      amount_remaining: 0,
      status_transitions: { ...current.status_transitions, paid_at: at },
    }), requestNow);
  }

  async markUncollectible(id: string, requestNow: number): Promise<Invoice> {
    return this.move(id, 'mark_uncollectible', 'invoice.marked_uncollectible', (current, at) => ({
      status: 'uncollectible',
      status_transitions: { ...current.status_transitions, marked_uncollectible_at: at },
    }), requestNow);
  }

  /** The invoice, if the state machine lets `action` start from its state. */
  private async inState(id: string, action: InvoiceAction): Promise<Invoice> {
    const invoice = await this.retrieve(id);
    if (!allows(action, invoice.status)) {
      const { from, verb } = INVOICE_TRANSITIONS[action];
      throw new InvalidRequestError(`You can only ${verb} an invoice that is ${from.join(' or ')}; ${id} is ${invoice.status}.`, undefined, 'invoice_not_editable');
    }
    return invoice;
  }

  /**
   * Takes `action` on an invoice in a state it may start from, at the time of its clock, recording
   * `type` with the attributes the change replaced, together with whatever `alsoWrite` adds.
   */
  private async move(
    id: string,
    action: InvoiceAction,
    type: string,
    changeOf: (current: Invoice, at: number) => Partial<Invoice>,
    requestNow: number,
    alsoWrite: (current: Invoice, at: number) => Promise<TransactItem[]> = async () => [],
  ): Promise<Invoice> {
    return this.retrying(async () => {
      const current = await this.inState(id, action);
      const at = await this.deps.clocks.timeOf(current.test_clock, requestNow);
      const change = changeOf(current, at);
      const next: Invoice = { ...current, ...change };
      const previous = Object.fromEntries(Object.keys(change).map((key) => [key, current[key as keyof Invoice]]));
      const written = await this.deps.store.transact([
        this.deps.store.invoicePut(next, current.status),
        ...(await alsoWrite(current, at)),
        eventPut(this.deps.store.tableName, { type, object: next, previous, created: at, nowMs: this.deps.nowMs() }),
      ]);
      return written ? next : undefined;
    });
  }

  /** Runs `attempt` until it commits (it answers undefined when its transaction lost a race). */
  private retrying(attempt: () => Promise<Invoice | undefined>): Promise<Invoice> {
    return retryLostRaces(ATTEMPTS, attempt, () => new InvalidRequestError('The invoice changed while this request ran; retrieve it and retry.', undefined, 'invoice_not_editable'));
  }
}
