import Decimal from 'decimal.js';
import { newId } from '../domain/ids';
import { invoiceTotals, lineFigures } from '../domain/invoices';
import { floorTo } from '../domain/time';
import { withStripeDefaults, type Customer } from '../customers/customers';
import type { Seller } from '../config';
import { dimensionKeysOf, type Meters, type Meter } from '../meters/meters';
import type { Price } from '../catalog/prices';
import { aggregate } from '../metering/summarize-usage';
import { groupUsage, selectUsage } from '../metering/dimension-usage';
import { describeDimensions, matchesFilters, type Dimensions } from '../domain/dimensions';
import type { UsageStore } from '../metering/usage-store';
import { period, prorationFactor } from '../domain/periods';
import type { BillingReason, Invoice, InvoiceLine, StoredSubscription, Subscription, SubscriptionItem } from './model';

export interface InvoiceBuilderDeps {
  usage: UsageStore;
  meters: Meters;
  /** The seller every invoice names (`account_name`, `account_country`, the default footer). */
  seller: Seller;
  /** Where hosted invoice pages are served (`<publicUrl>/i/<token>`). */
  publicUrl: string;
  /** Wall clock (ms): orders new ids. */
  nowMs: () => number;
}

export interface Period {
  start: number;
  end: number;
}

import { isMetered, segmentOf } from '../catalog/prices';

/** Builds invoices and their lines from subscription items, prices and metered usage. */
export class InvoiceBuilder {
  /** A meter's id and formula never change, so one read per container serves every invoice. */
  private readonly meters = new Map<string, Promise<Meter>>();

  constructor(private readonly deps: InvoiceBuilderDeps) {}

  private meter(id: string): Promise<Meter> {
    let meter = this.meters.get(id);
    if (!meter) {
      meter = this.deps.meters.retrieve(id);
      this.meters.set(id, meter);
      meter.catch(() => this.meters.delete(id));
    }
    return meter;
  }

  /**
   * Usage of `customer` on the price's meter over [start, end). Usage is stored per minute, so
   * the bounds are taken at minute resolution: each minute belongs to exactly one period.
   */
  async usage(price: Price, customerId: string, range: Period): Promise<Decimal> {
    const meter = await this.meter(price.recurring!.meter!);
    const hours = await this.hours(meter, customerId, range);
    if (!hours) return new Decimal(0);
    const formula = meter.default_aggregation.formula;
    // A price with conditions bills only the combinations of dimension values that match them.
    const segment = segmentOf(price);
    const billed = Object.keys(segment).length ? selectUsage(formula, hours, (dimensions) => matchesFilters(dimensions, segment)) : hours;
    return aggregate(formula, billed, hours.start, hours.end);
  }

  /** The hourly usage of a customer on a meter over a range taken at minute resolution (each minute belongs to exactly one period); undefined when the range holds no whole minute. */
  private async hours(meter: Meter, customerId: string, range: Period) {
    const start = floorTo(range.start, 'minute');
    const end = floorTo(range.end, 'minute');
    if (end <= start) return undefined;
    const hours = await this.deps.usage.readHours(meter.id, customerId, floorTo(start, 'hour'), floorTo(end - 1, 'hour'));
    return Object.assign(hours, { start, end });
  }

  /**
   * The usage over `range` of the meters of metered `items` that none of the items' prices bills:
   * on a meter whose prices all carry meter_segment_conditions, each combination of dimension
   * values that matches none of them, so that it is shown rather than silently lost.
   */
  async unpricedUsage(items: readonly Pick<SubscriptionItem, 'price'>[], customerId: string, range: Period): Promise<UnpricedUsage[]> {
    const byMeter = new Map<string, Record<string, string>[]>();
    for (const { price } of items) {
      if (!isMetered(price)) continue;
      const meterId = price.recurring!.meter!;
      byMeter.set(meterId, [...(byMeter.get(meterId) ?? []), segmentOf(price)]);
    }
    const unpriced: UnpricedUsage[] = [];
    for (const [meterId, segments] of byMeter) {
      // A price without conditions bills the whole meter.
      if (segments.some((segment) => Object.keys(segment).length === 0)) continue;
      const meter = await this.meter(meterId);
      const hours = await this.hours(meter, customerId, range);
      if (!hours) continue;
      const formula = meter.default_aggregation.formula;
      const combinations = groupUsage(formula, hours, {}, dimensionKeysOf(meter));
      for (const { dimensions, hours: usage } of combinations) {
        if (segments.some((segment) => matchesFilters(dimensions, segment))) continue;
        const quantity = aggregate(formula, usage, hours.start, hours.end);
        if (!quantity.isZero()) unpriced.push({ meter: meterId, dimensions, quantity: quantity.toNumber(), quantity_decimal: quantity.toFixed() });
      }
    }
    return unpriced;
  }

  /** A line for `item` over `period`: metered lines price the usage, licensed ones the quantity (prorated by `factor`). */
  async line(invoiceId: string, subscription: Subscription, item: SubscriptionItem, period: Period, factor?: Decimal): Promise<InvoiceLine> {
    const price = item.price;
    if (!isMetered(price)) return this.lineOf(invoiceId, subscription, item, period, new Decimal(item.quantity ?? 1), factor);
    // An item added mid-period bills the usage from its creation on.
    const range = { start: Math.max(period.start, item.created), end: period.end };
    return this.lineOf(invoiceId, subscription, item, range, await this.usage(price, subscription.customer, range), factor);
  }

  /**
   * A metered item's line on an invoice billed in advance (a subscription's first): quantity and
   * amount 0, since usage, a first tier's flat amount included, is billed when the period closes.
   */
  placeholderLine(invoiceId: string, subscription: Subscription, item: SubscriptionItem, period: Period): InvoiceLine {
    return { ...this.lineOf(invoiceId, subscription, item, period, new Decimal(0)), amount: 0, subtotal: 0 };
  }

  /** A line with a known quantity. */
  lineOf(invoiceId: string, subscription: Subscription, item: Pick<SubscriptionItem, 'id' | 'price'>, period: Period, quantity: Decimal, factor?: Decimal): InvoiceLine {
    const price = item.price;
    const figures = lineFigures(price, quantity, factor);
    const prorated = factor !== undefined && !factor.eq(1);
    return {
      id: newId('invoiceLine', this.deps.nowMs()),
      object: 'line_item',
      amount: figures.amount,
      currency: price.currency,
      description: `${figures.quantity.toFixed()} × ${price.nickname ?? price.product}${segmentText(price)}${prorated ? ' (prorated)' : ''}`,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: invoiceId,
      livemode: subscription.livemode,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: prorated,
          proration_details: { credited_items: null },
          subscription: subscription.id,
          subscription_item: item.id,
        },
      },
      period: { start: period.start, end: period.end },
      pretax_credit_amounts: [],
      price,
      pricing: {
        type: 'price_details',
        price_details: { price: price.id, product: price.product },
        unit_amount_decimal: price.unit_amount_decimal ?? null,
      },
      // Stripe's integer quantity truncates; quantity_decimal is exact.
      quantity: figures.quantity.trunc().toNumber(),
      quantity_decimal: figures.quantity.toFixed(),
      subscription: subscription.id,
      subtotal: figures.amount,
      taxes: [],
    };
  }

  /**
   * The lines of an invoice for the subscription's current period: the usage of its metered
   * items up to `usageEnd` (a removed item's up to its removal) and, with `withNextFees`, the
   * licensed fees of the next period, billed in advance.
   */
  async periodLines(invoiceId: string, stored: StoredSubscription, usageEnd: number, withNextFees: boolean): Promise<InvoiceLine[]> {
    const { subscription, billing } = stored;
    const current = period(billing.cycle, billing.period);
    const next = period(billing.cycle, billing.period + 1);
    const factor = prorationFactor(billing.cycle, billing.period + 1);
    const items = subscription.items.data;
    const usage = items.filter((item) => isMetered(item.price)).map((item) => ({ item, end: usageEnd }));
    const removed = billing.ended_items.map(({ item, ended_at }) => ({ item, end: Math.min(ended_at, usageEnd) }));
    const fees = withNextFees ? items.filter((item) => !isMetered(item.price)) : [];
    return Promise.all([
      ...[...usage, ...removed].map(({ item, end }) => this.line(invoiceId, subscription, item, { start: current.start, end })),
      ...fees.map((item) => this.line(invoiceId, subscription, item, next, factor)),
    ]);
  }

  /** Re-prices the metered lines from the usage recorded now (at finalization). */
  async refreshUsage(invoice: Invoice, subscription: Subscription): Promise<Invoice> {
    const lines = await Promise.all(
      invoice.lines.data.map(async (line) => {
        if (!isMetered(line.price)) return line;
        const item = { id: line.parent.subscription_item_details.subscription_item, price: line.price };
        const quantity = await this.usage(line.price, subscription.customer, line.period);
        return { ...this.lineOf(invoice.id, subscription, item, line.period, quantity), id: line.id };
      }),
    );
    return withLines(invoice, lines);
  }

  /** A new invoice of `subscription` with `lines`. */
  draft(input: {
    id: string;
    subscription: Subscription;
    customer: Customer | undefined;
    reason: BillingReason;
    created: number;
    period: Period;
    lines: InvoiceLine[];
    finalizesAt: number | null;
  }): Invoice {
    const { subscription } = input;
    const invoice: Invoice = {
      id: input.id,
      object: 'invoice',
      amount_due: 0,
      amount_overpaid: 0,
      amount_paid: 0,
      amount_remaining: 0,
      amount_shipping: 0,
      attempt_count: 0,
      attempted: false,
      auto_advance: true,
      automatically_finalizes_at: input.finalizesAt,
      billing_reason: input.reason,
      collection_method: 'charge_automatically',
      created: input.created,
      currency: subscription.currency,
      customer: subscription.customer,
      description: null,
      discounts: [],
      due_date: null,
      effective_at: null,
      ending_balance: null,
      lines: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/invoices/${input.id}/lines` },
      livemode: subscription.livemode,
      metadata: {},
      number: null,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { metadata: subscription.metadata, subscription: subscription.id },
      },
      period_end: input.period.end,
      period_start: input.period.start,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      starting_balance: 0,
      status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subscription: subscription.id,
      subtotal: 0,
      subtotal_excluding_tax: 0,
      test_clock: subscription.test_clock,
      total: 0,
      total_discount_amounts: [],
      total_excluding_tax: 0,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      webhooks_delivered_at: null,
      account_country: this.deps.seller.country,
      account_name: this.deps.seller.name,
      ...this.customerDetails(input.customer),
      hosted_invoice_url: null,
      invoice_pdf: null,
    };
    return withLines(invoice, input.lines);
  }

  /** The public addresses of a finalized invoice's page and PDF, behind its token. */
  documentUrls(token: string) {
    const page = `${this.deps.publicUrl}/i/${token}`;
    return { hosted_invoice_url: page, invoice_pdf: `${page}/pdf` };
  }

  /**
   * What an invoice copies from its customer (as Stripe does: a draft takes them when created,
   * and finalization takes them again, after which they never change), and the footer: the
   * customer's own or the seller's.
   */
  customerDetails(stored: Customer | undefined) {
    const customer = stored && withStripeDefaults(stored);
    return {
      customer_email: customer?.email ?? null,
      customer_name: customer?.name ?? null,
      customer_address: customer?.address ?? null,
      customer_phone: customer?.phone ?? null,
      customer_shipping: customer?.shipping ?? null,
      customer_tax_exempt: customer?.tax_exempt ?? ('none' as const),
      custom_fields: customer?.invoice_settings.custom_fields ?? null,
      footer: customer?.invoice_settings.footer ?? this.deps.seller.footer,
    };
  }
}

/** Usage no price of a subscription bills (Meterline's `unpriced_usage` on invoice previews). */
export interface UnpricedUsage {
  meter: string;
  dimensions: Dimensions;
  quantity: number;
  /** Exact. */
  quantity_decimal: string;
}

/** ' (model: gpt-large, token_type: input)' for a price with conditions: what its lines bill. */
function segmentText(price: Price): string {
  const segment = segmentOf(price);
  return Object.keys(segment).length ? ` (${describeDimensions(segment)})` : '';
}

/** The invoice with `lines` and the totals they add up to. */
export function withLines(invoice: Invoice, lines: InvoiceLine[]): Invoice {
  const totals = invoiceTotals(
    lines.map((line) => line.amount),
    invoice.amount_paid,
  );
  return {
    ...invoice,
    ...totals,
    subtotal_excluding_tax: totals.subtotal,
    total_excluding_tax: totals.total,
    lines: { ...invoice.lines, data: lines, total_count: lines.length },
  };
}
