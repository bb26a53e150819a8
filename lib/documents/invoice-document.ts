import type { Seller } from '../config';
import type { Address } from '../customers/invoice-details';
import type { Invoice, InvoiceLine, InvoiceStatus } from '../billing/model';

/** A credit grant applied to the invoice, by the grant's name. */
export interface AppliedCredit {
  name: string;
  amount: number;
}

/** Everything the hosted page and the PDF show, formatted once so that both show the same text. */
export interface InvoiceDocument {
  title: string;
  livemode: boolean;
  status: InvoiceStatus;
  /** The status as a stamp: Paid, Void, Uncollectible; null for an open invoice. */
  stamp: string | null;
  seller: { name: string; address: string[]; email: string | null };
  billTo: string[];
  shipTo: string[] | null;
  facts: [string, string][];
  lines: { description: string; period: string; quantity: string; unitPrice: string; amount: string }[];
  totals: [string, string][];
  amountDue: string;
  customFields: [string, string][];
  footer: string | null;
}

const STAMPS: Partial<Record<InvoiceStatus, string>> = { paid: 'Paid', void: 'Void', uncollectible: 'Uncollectible' };

/** Minor-unit digits of a currency (USD 2, JPY 0, KWD 3), as Intl knows them. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `minor` units moved `digits` places to the left, as exact decimal text ("1234" → "12.34"). */
function shift(minor: string, digits: number): string {
  const negative = minor.startsWith('-');
  const [whole = '0', fraction = ''] = minor.replace(/^-/, '').split('.');
  const padded = whole.padStart(digits + 1, '0');
  const major = digits ? `${padded.slice(0, -digits)}.${padded.slice(-digits)}${fraction}` : `${padded}${fraction ? `.${fraction}` : ''}`;
  return `${negative ? '-' : ''}${major}`;
}

/**
 * An amount in minor units as the currency shows it ("$1,234.50", "¥3,000"), exactly: the
 * decimal text goes to Intl as a string, never through a float.
 */
export function formatMoney(minor: number | string, currency: string, locale = 'en-US'): string {
  const digits = minorDigits(currency);
  const text = shift(String(minor), digits);
  const fraction = text.split('.')[1]?.length ?? 0;
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: digits, maximumFractionDigits: Math.min(20, Math.max(digits, fraction)) });
  return format.format(text as unknown as number);
}

/** An exact decimal quantity with grouping ("1,234.5"). */
export function formatQuantity(decimal: string, locale = 'en-US'): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 20 }).format(decimal as unknown as number);
}

/** A Unix time as a UTC date ("March 1, 2026"). */
export function formatDate(seconds: number, locale = 'en-US'): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(seconds * 1000));
}

const addressLines = (address: Address | null): string[] => {
  if (!address) return [];
  const cityLine = [address.postal_code, address.city, address.state].filter(Boolean).join(' ');
  return [address.line1, address.line2, cityLine, address.country].filter((line): line is string => Boolean(line));
};

/** What a line bills, as its customer reads it: the price's nickname or the product's name (the quantity has its own column). */
function lineTitle(line: InvoiceLine, productNames: ReadonlyMap<string, string>): string {
  const name = line.price?.nickname ?? productNames.get(line.price?.product ?? '');
  if (!name) return line.description;
  return line.parent?.subscription_item_details?.proration ? `${name} (prorated)` : name;
}

/** The document of a finalized invoice: what its hosted page and its PDF show, in the same words. */
export function invoiceDocument(invoice: Invoice, seller: Seller, credits: AppliedCredit[], productNames: ReadonlyMap<string, string> = new Map()): InvoiceDocument {
  const money = (minor: number | string) => formatMoney(minor, invoice.currency);
  const finalized = invoice.status_transitions.finalized_at ?? invoice.created;
  const facts: [string, string][] = [
    ['Invoice number', invoice.number ?? invoice.id],
    ['Date of issue', formatDate(finalized)],
  ];
  if (invoice.period_end > invoice.period_start) facts.push(['Billing period', `${formatDate(invoice.period_start)} – ${formatDate(invoice.period_end)}`]);
  if (invoice.status_transitions.paid_at) facts.push(['Paid on', formatDate(invoice.status_transitions.paid_at)]);
  if (invoice.status_transitions.voided_at) facts.push(['Voided on', formatDate(invoice.status_transitions.voided_at)]);
  if (invoice.status_transitions.marked_uncollectible_at) facts.push(['Marked uncollectible on', formatDate(invoice.status_transitions.marked_uncollectible_at)]);
  const totals: [string, string][] = [['Subtotal', money(invoice.subtotal)]];
  for (const credit of credits) totals.push([`Credit grant applied: ${credit.name}`, money(-credit.amount)]);
  totals.push(['Total', money(invoice.total)]);
  if (invoice.amount_paid > 0) totals.push(['Amount paid', money(invoice.amount_paid)]);
  return {
    title: `Invoice ${invoice.number ?? invoice.id}`,
    livemode: invoice.livemode,
    status: invoice.status,
    stamp: STAMPS[invoice.status] ?? null,
    seller: { name: invoice.account_name ?? seller.name, address: seller.address, email: seller.supportEmail },
    billTo: [invoice.customer_name, ...addressLines(invoice.customer_address ?? null), invoice.customer_email, invoice.customer_phone].filter((line): line is string => Boolean(line)),
    shipTo: invoice.customer_shipping ? [invoice.customer_shipping.name, ...addressLines(invoice.customer_shipping.address)] : null,
    facts,
    lines: invoice.lines.data.map((line) => ({
      description: lineTitle(line, productNames),
      period: line.period.end > line.period.start ? `${formatDate(line.period.start)} – ${formatDate(line.period.end)}` : '',
      quantity: formatQuantity(line.quantity_decimal ?? String(line.quantity)),
      unitPrice: line.pricing?.unit_amount_decimal != null ? money(line.pricing.unit_amount_decimal) : '—',
      amount: money(line.amount),
    })),
    totals,
    amountDue: money(invoice.status === 'void' ? 0 : invoice.amount_due),
    customFields: (invoice.custom_fields ?? []).map((field) => [field.name, field.value]),
    footer: invoice.footer ?? null,
  };
}
