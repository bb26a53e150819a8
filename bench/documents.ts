/**
 * Invoice documents bench: the time to render the PDF of a 50-line invoice, cold (first render in
 * the process: fonts read and parsed) and warm (median of the next renders), and the hosted page's
 * HTML. Prints one JSON line. (Every function's bundle, the PDF function's with its fonts, is
 * measured by bench/bundles.ts.)
 *
 *   npx tsx bench/documents.ts            BENCH_PDF_RENDERS=15
 */
import type { Invoice, InvoiceLine } from '../lib/billing/model';
import { invoiceDocument } from '../lib/documents/invoice-document';
import { renderHostedPage } from '../lib/documents/hosted-page';
import { renderInvoicePdf } from '../lib/documents/invoice-pdf';
import { intEnv, log } from './support/cli';
import { round } from './support/cost';

const RENDERS = intEnv('BENCH_PDF_RENDERS', 15);
const kb = (bytes: number) => round(bytes / 1024, 1);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function fiftyLineInvoice(): Invoice {
  const lines = Array.from({ length: 50 }, (_, i): InvoiceLine => ({
    amount: 12_345 + i * 1_001,
    currency: 'usd',
    description: `x × ${i % 3 === 0 ? 'GPU 時間 東京' : 'Tokens · Łódź'} ${i + 1}`,
    period: { start: 1_772_323_200, end: 1_775_001_600 },
    quantity: 1000 + i,
    quantity_decimal: `${1000 + i}.25`,
    pricing: { type: 'price_details', price_details: { price: 'price_1', product: 'prod_1' }, unit_amount_decimal: '12.5' },
    price: { nickname: `Model ${i + 1} ${i % 3 === 0 ? '入力トークン' : 'input tokens'}`, product: 'prod_1' },
    parent: { subscription_item_details: { proration: false } },
  }) as unknown as InvoiceLine);
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  return {
    id: 'in_bench', number: 'BENCH001-0001', status: 'open', currency: 'usd', livemode: true, created: 1_775_001_600,
    period_start: 1_772_323_200, period_end: 1_775_001_600, lines: { data: lines }, subtotal, total: subtotal, amount_due: subtotal, amount_paid: 0,
    total_pretax_credit_amounts: [], status_transitions: { finalized_at: 1_775_005_200, paid_at: null, voided_at: null, marked_uncollectible_at: null },
    account_name: 'Acme', customer_name: '山田 太郎', customer_email: 'taro@example.jp', customer_address: null, customer_phone: null,
    customer_shipping: null, custom_fields: null, footer: 'Thank you.', invoice_pdf: 'https://example.com/i/x/pdf',
  } as unknown as Invoice;
}

async function main() {
  const seller = { name: 'Acme', country: 'US', address: ['1 Main St'], supportEmail: null, footer: null };
  const doc = invoiceDocument(fiftyLineInvoice(), seller, []);
  let started = performance.now();
  const first = await renderInvoicePdf(doc, new Date(0));
  const cold = performance.now() - started;
  const warm: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    started = performance.now();
    await renderInvoicePdf(doc, new Date(0));
    warm.push(performance.now() - started);
  }
  const pages: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    started = performance.now();
    renderHostedPage(doc, 'https://example.com/i/x/pdf');
    pages.push(performance.now() - started);
  }
  log(
    JSON.stringify({
      bench: 'documents',
      pdf_50_lines_cold_ms: round(cold, 1),
      pdf_50_lines_warm_median_ms: round(median(warm), 1),
      pdf_50_lines_kb: kb(first.length),
      hosted_page_median_ms: round(median(pages), 2),
    }),
  );
}

await main();
