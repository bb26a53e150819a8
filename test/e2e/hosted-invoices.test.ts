import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack, type TestStack } from '../support/stack';
import { advance, afterGrace, invoicesOf, item, licensedPrice, march, meteredPrice, newMeter, subscriptionParams, usage, utc } from '../fixtures/billing';
import { grantParams } from '../fixtures/credits';
import { productParams } from '../fixtures/catalog';
import { unique } from '../fixtures/stripe';

const SELLER = {
  name: 'Acme Tokens K.K.',
  country: 'JP',
  address: ['1-2-3 Shibuya', 'Tokyo 150-0002'],
  supportEmail: 'billing@acme.example',
  footer: 'Thank you for your business.',
};

/** The text poppler's pdftotext extracts from a PDF (real, selectable text). */
export function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
}

const usd = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);

/** A finalized invoice with a licensed line, a usage line and a credit grant applied, for a customer with a Japanese name. */
async function billedInvoice(stripe: Stripe, stack: TestStack) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: march.start, name: unique('clock') });
  const customer = await stripe.customers.create({
    name: '山田 太郎 (Zoë Łódź)',
    email: `${unique('taro')}@example.jp`,
    address: { line1: '4-5-6 Ginza', city: 'Chūō-ku', postal_code: '104-0061', country: 'JP' },
    invoice_settings: { custom_fields: [{ name: 'PO number', value: 'PO-778' }] },
    test_clock: clock.id,
  });
  const product = await stripe.products.create(productParams({ name: 'Tokens' }));
  const meter = await newMeter(stripe);
  const seats = await licensedPrice(stripe, product.id, { unit_amount: 1500, nickname: 'Seats' });
  const tokens = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: Stripe.Decimal.from('0.5') });
  await stripe.billing.creditGrants.create(grantParams(customer, { name: 'Launch credits 開始', amount: { type: 'monetary', monetary: { currency: 'usd', value: 200 } } }));
  const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(seats, 2), item(tokens)]));
  await usage(stack, meter, customer, [['1234.5', march.start]]);
  await advance(stripe, clock, afterGrace(utc(2026, 4, 1)));
  const invoices = await invoicesOf(stripe, subscription);
  const invoice = invoices.find((i) => i.billing_reason === 'subscription_cycle')!;
  return { clock, customer, subscription, invoice, invoices };
}

describe('hosted invoice pages and PDFs', () => {
  const { stack } = useStack({ seller: SELLER });
  let billed: Awaited<ReturnType<typeof billedInvoice>>;
  beforeAll(async () => {
    billed = await billedInvoice(stack.stripe, stack);
  });

  it('gives every finalized invoice a hosted page and a PDF, numbered from the customer’s prefix and sequence, and drafts neither', async () => {
    const { invoice, customer, invoices } = billed;
    expect(invoice.status).toBe('open');
    expect(invoice.hosted_invoice_url).toMatch(new RegExp(`^${stack.url}/i/[A-Za-z0-9_-]{32}$`));
    expect(invoice.invoice_pdf).toBe(`${invoice.hosted_invoice_url}/pdf`);
    expect(invoice).toMatchObject({ account_name: SELLER.name, account_country: 'JP', footer: SELLER.footer, custom_fields: [{ name: 'PO number', value: 'PO-778' }] });
    expect(invoice.customer_address).toMatchObject({ city: 'Chūō-ku', country: 'JP' });
    const prefix = (await stack.stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_prefix;
    expect(invoices.map((i) => i.number)).toEqual([`${prefix}-0001`, `${prefix}-0002`]);
    expect(((await stack.stripe.customers.retrieve(customer.id)) as Stripe.Customer).next_invoice_sequence).toBe(3);
    // The next period's draft has neither URL, as in Stripe.
    const draft = (await stack.stripe.invoices.list({ customer: customer.id, status: 'draft' })).data;
    for (const d of draft) expect([d.hosted_invoice_url, d.invoice_pdf]).toEqual([null, null]);
  });

  it('serves the page without a key, with the invoice as its customer receives it, loading nothing from elsewhere', async () => {
    const { invoice } = billed;
    const response = await fetch(invoice.hosted_invoice_url!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
    const html = await response.text();
    for (const text of [invoice.number!, SELLER.name, '山田 太郎 (Zoë Łódź)', 'PO-778', 'Credit grant applied: Launch credits 開始', usd(invoice.amount_due), 'Test mode']) {
      expect(html).toContain(text);
    }
    for (const line of invoice.lines.data) expect(html).toContain(usd(line.amount));
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual([invoice.invoice_pdf]);
  });

  it('answers a plain 404 for an altered, truncated or made-up token, the same for each', async () => {
    const url = billed.invoice.hosted_invoice_url!;
    const token = url.split('/').pop()!;
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const path of [`/i/${altered}`, `/i/${altered}/pdf`, `/i/${token.slice(0, 20)}`, '/i/x', `/i/${billed.invoice.id}`, `/i/${token}/pdf/more`]) {
      const response = await fetch(`${stack.url}${path}`);
      expect([path, response.status, await response.text()]).toEqual([path, 404, 'Not Found']);
    }
  });

  it('renders the PDF as real text: the number, the Japanese name, every line’s amount and the amount due; the same bytes each time', async () => {
    const { invoice } = billed;
    const response = await fetch(invoice.invoice_pdf!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/invoice.pdf', pdf); // To look at (not committed).
    const text = pdfText(pdf);
    for (const expected of [invoice.number!, '山田 太郎 (Zoë Łódź)', 'Launch credits 開始', SELLER.footer, ...invoice.lines.data.map((l) => usd(l.amount)), usd(invoice.amount_due)]) {
      expect(text).toContain(expected);
    }
    const again = Buffer.from(await (await fetch(invoice.invoice_pdf!)).arrayBuffer());
    expect(again.equals(pdf)).toBe(true);
  });

  it('numbers invoices finalized at the same moment for one customer without gaps or repeats', async () => {
    const { stripe } = stack;
    const customer = await stripe.customers.create({ name: 'Busy', invoice_prefix: 'BUSY01' });
    const product = await stripe.products.create(productParams());
    const price = await licensedPrice(stripe, product.id);
    // Each subscription's first invoice is finalized in its creation's transaction, racing the others for the next number.
    const subscriptions = await Promise.all(Array.from({ length: 4 }, () => stack.stripe.subscriptions.create(subscriptionParams(customer, [item(price)]))));
    const numbers = await Promise.all(subscriptions.map(async (s) => (await invoicesOf(stripe, s))[0]!.number));
    expect(numbers.sort()).toEqual(['BUSY01-0001', 'BUSY01-0002', 'BUSY01-0003', 'BUSY01-0004']);
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).next_invoice_sequence).toBe(5);
  });

  it('marks a voided invoice void on its page and in its PDF, with nothing due', async () => {
    const { customer } = billed;
    const [first] = (await stack.stripe.invoices.list({ customer: customer.id, status: 'open' })).data.filter((i) => i.billing_reason === 'subscription_create');
    const voided = await stack.stripe.invoices.voidInvoice(first!.id);
    const html = await (await fetch(voided.hosted_invoice_url!)).text();
    expect(html).toContain('<span class="stamp void">Void</span>');
    expect(html).toContain(`${usd(0)}</strong> due`);
    expect(pdfText(Buffer.from(await (await fetch(voided.invoice_pdf!)).arrayBuffer()))).toContain('VOID');
  });
});
