import type { Seller } from '../config';
import { hostedTokenHash, type HostedInvoiceEntry } from '../billing/hosted-invoice-token';
import type { Invoice } from '../billing/model';
import { isFinalized } from '../domain/invoice-states';
import type { CreditBalanceTransaction, CreditGrant } from '../credits/model';
import { accountKeys, modeOf, type Mode } from '../store/keys';
import type { ObjectStore } from '../store/objects';
import { invoiceDocument, type AppliedCredit, type InvoiceDocument } from './invoice-document';

/** A hosted token as finalization makes them: 24 random bytes in base64url. Anything else names nothing. */
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

export interface HostedInvoice {
  invoice: Invoice;
  document: InvoiceDocument;
}

/**
 * Finalized invoices by their hosted token, as their customers see them. A token that is
 * malformed, unknown or altered finds nothing, and says nothing about why.
 */
export class HostedInvoices {
  constructor(
    private readonly stores: Record<Mode, ObjectStore>,
    private readonly seller: Seller,
  ) {}

  async find(token: string): Promise<HostedInvoice | undefined> {
    if (!TOKEN.test(token)) return undefined;
    // An account item (the token names its mode): either mode's store reads it.
    const entry = (await this.stores.test.getItem(accountKeys.hostedInvoice(hostedTokenHash(token)), true)) as HostedInvoiceEntry | undefined;
    if (!entry) return undefined;
    const store = this.stores[modeOf(entry.livemode)];
    const invoice = await store.get<Invoice>('invoice', entry.invoice, true);
    if (!invoice || !isFinalized(invoice.status)) return undefined;
    const [credits, productNames] = await Promise.all([this.appliedCredits(store, invoice), this.productNames(store, invoice)]);
    return { invoice, document: invoiceDocument(invoice, this.seller, credits, productNames) };
  }

  /** The names of the products the invoice's lines bill, in one read. */
  private async productNames(store: ObjectStore, invoice: Invoice): Promise<Map<string, string>> {
    const ids = [...new Set(invoice.lines.data.map((line) => line.price?.product).filter((id): id is string => Boolean(id)))];
    const products = ids.length ? await store.getMany<{ id: string; name: string }>('product', ids) : [];
    return new Map(products.map((product) => [product.id, product.name]));
  }

  /** The credit grants that paid part of the invoice, by name, in the order they were applied. */
  private async appliedCredits(store: ObjectStore, invoice: Invoice): Promise<AppliedCredit[]> {
    const applied = invoice.total_pretax_credit_amounts ?? [];
    if (applied.length === 0) return [];
    const transactions = await store.getMany<CreditBalanceTransaction>('credit_balance_transaction', applied.map((a) => a.credit_balance_transaction));
    const grants = await store.getMany<CreditGrant>('credit_grant', [...new Set(transactions.map((t) => t.credit_grant))]);
    const grantOf = new Map(transactions.map((t) => [t.id, grants.find((g) => g.id === t.credit_grant)]));
    return applied.map((a) => ({ name: grantOf.get(a.credit_balance_transaction)?.name ?? 'Credit grant', amount: a.amount }));
  }
}
