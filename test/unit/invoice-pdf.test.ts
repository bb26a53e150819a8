import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Invoice, InvoiceLine } from '../../lib/billing/model';
import { formatMoney, formatQuantity, invoiceDocument } from '../../lib/documents/invoice-document';
import { renderInvoicePdf } from '../../lib/documents/invoice-pdf';

const SELLER = { name: 'Acme Tokens K.K.', country: 'JP', address: ['1-2-3 Shibuya'], supportEmail: null, footer: null };

const pdfText = (pdf: Buffer) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');

/** pdftotext's layout may break a long row; the amounts are compared without spaces. */
const squeeze = (text: string) => text.replace(/\s+/g, '');

const names = fc.constantFrom('Tokens', 'Łódź uploads', 'トークン (入力)', 'Ångström API · Zoë', '東京リージョン GPU 時間');

const line = (currency: string) =>
  fc.record({
    amount: fc.integer({ min: -5_000_000, max: 900_000_000 }),
    quantity: fc.stringMatching(/^[1-9][0-9]{0,6}(\.[0-9]{1,4})?$/),
    name: names,
  }).map(({ amount, quantity, name }, ): InvoiceLine => ({
    amount,
    currency,
    description: `${quantity} × ${name}`,
    period: { start: 1_772_323_200, end: 1_775_001_600 },
    quantity: Math.ceil(Number(quantity)),
    quantity_decimal: quantity,
    pricing: { type: 'price_details', price_details: { price: 'price_1', product: 'prod_1' }, unit_amount_decimal: '12.5' },
    price: { nickname: name, product: 'prod_1' },
    parent: { subscription_item_details: { proration: false } },
  }) as unknown as InvoiceLine);

const invoices = fc
  .constantFrom('usd', 'jpy', 'eur', 'kwd')
  .chain((currency) => fc.record({ currency: fc.constant(currency), lines: fc.array(line(currency), { minLength: 1, maxLength: 12 }), credit: fc.integer({ min: 0, max: 100_000 }), status: fc.constantFrom('open', 'paid', 'void', 'uncollectible') }))
  .map(({ currency, lines, credit, status }) => {
    const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
    const total = subtotal - credit;
    return {
      id: 'in_test',
      number: 'ABCD1234-0007',
      status,
      currency,
      livemode: true,
      created: 1_775_001_600,
      period_start: 1_772_323_200,
      period_end: 1_775_001_600,
      lines: { data: lines },
      subtotal,
      total,
      amount_due: Math.max(0, total),
      amount_paid: status === 'paid' ? Math.max(0, total) : 0,
      total_pretax_credit_amounts: credit ? [{ amount: credit, credit_balance_transaction: 'cbtxn_1', type: 'credit_balance_transaction' }] : [],
      status_transitions: { finalized_at: 1_775_005_200, paid_at: null, voided_at: null, marked_uncollectible_at: null },
      account_name: SELLER.name,
      customer_name: '山田 太郎',
      customer_email: 'taro@example.jp',
      customer_address: null,
      customer_phone: null,
      customer_shipping: null,
      custom_fields: null,
      footer: null,
    } as unknown as Invoice;
  });

describe('the invoice PDF', () => {
  it('holds, as extractable text, exactly the amounts of any finalized invoice', async () => {
    await fc.assert(
      fc.asyncProperty(invoices, async (invoice) => {
        const credits = invoice.total_pretax_credit_amounts.map((c) => ({ name: 'Launch credits', amount: c.amount }));
        const text = squeeze(pdfText(await renderInvoicePdf(invoiceDocument(invoice, SELLER, credits), new Date(0))));
        const money = (minor: number) => squeeze(formatMoney(minor, invoice.currency));
        for (const l of invoice.lines.data) {
          expect(text).toContain(money(l.amount));
          expect(text).toContain(squeeze(formatQuantity(l.quantity_decimal)));
        }
        expect(text).toContain(money(invoice.subtotal));
        expect(text).toContain(money(invoice.total));
        expect(text).toContain(`Amountdue${money(invoice.status === 'void' ? 0 : invoice.amount_due)}`);
        expect(text).toContain(squeeze('山田 太郎'));
      }),
      { numRuns: 25 },
    );
  });

  it('formats amounts exactly in the currency’s minor unit', () => {
    expect(formatMoney(123456789012345, 'usd')).toBe('$1,234,567,890,123.45');
    expect(formatMoney(3000, 'jpy')).toBe('¥3,000');
    expect(formatMoney(1234, 'kwd')).toBe('KWD\u00a01.234');
    expect(formatMoney(-250, 'eur')).toBe('-€2.50');
    expect(formatMoney('0.5', 'usd')).toBe('$0.005');
    expect(formatQuantity('1234567.125')).toBe('1,234,567.125');
  });

  it('renders a 50-line invoice to the same bytes every time', async () => {
    const [invoice] = fc.sample(invoices, { numRuns: 1, seed: 7 });
    const doc = invoiceDocument({ ...invoice!, lines: { ...invoice!.lines, data: Array.from({ length: 50 }, (_, i) => invoice!.lines.data[i % invoice!.lines.data.length]!) } } as Invoice, SELLER, []);
    const [a, b] = [await renderInvoicePdf(doc, new Date(0)), await renderInvoicePdf(doc, new Date(0))];
    expect(a.equals(b)).toBe(true);
    expect(pdfText(a).split('\f').filter((p) => p.trim()).length).toBeGreaterThan(1);
  });
});
