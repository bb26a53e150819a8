import { createHash } from 'node:crypto';
import type { InvoiceDocument } from './invoice-document';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One style sheet, inline: the page loads nothing else, from anywhere. It prints on A4 and Letter alike. */
const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans JP", sans-serif; color: #1a1f36; }
body { margin: 0; background: #f6f8fa; }
main { max-width: 52rem; margin: 2rem auto; background: #fff; padding: 2.5rem; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
header { display: flex; justify-content: space-between; gap: 2rem; flex-wrap: wrap; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #545969; margin: 0 0 .4rem; }
.parties { display: flex; gap: 3rem; flex-wrap: wrap; margin: 2rem 0; }
.parties p, .seller p { margin: 0; line-height: 1.45; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .25rem 1.5rem; margin: 0; }
dl.facts dt { color: #545969; }
dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin: 1.5rem 0; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: .8rem; color: #545969; border-bottom: 1px solid #d5dbe1; padding: .5rem .4rem; }
td { border-bottom: 1px solid #ebeef1; padding: .55rem .4rem; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.period { display: block; color: #545969; font-size: .85rem; }
table.totals { width: auto; margin-left: auto; min-width: 20rem; }
table.totals td { border: 0; padding: .25rem .4rem; }
tr.due td { font-weight: 700; font-size: 1.1rem; border-top: 1px solid #1a1f36; }
.stamp { display: inline-block; border: 2px solid currentColor; border-radius: 4px; padding: .1rem .6rem; font-weight: 700; text-transform: uppercase; letter-spacing: .08em; }
.stamp.paid { color: #0e6245; } .stamp.void, .stamp.uncollectible { color: #a41c4e; }
.test { background: #fff4e5; color: #8a4b00; padding: .4rem .8rem; border-radius: 4px; font-size: .85rem; margin-bottom: 1rem; }
footer { margin-top: 2rem; color: #545969; font-size: .9rem; white-space: pre-line; }
@page { margin: 14mm; }
@media print {
  body { background: #fff; }
  main { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  tr { break-inside: avoid; }
}
`;

/** The Content-Security-Policy of the page: its one inline style sheet, by hash, and nothing else. */
export const HOSTED_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const lines = (items: string[]) => items.map((line) => `<p>${escape(line)}</p>`).join('');

/** The hosted invoice page: the invoice as its customer receives it, a self-contained HTML document. */
export function renderHostedPage(doc: InvoiceDocument, pdfUrl: string): string {
  const rows = doc.lines
    .map(
      (line) =>
        `<tr><td>${escape(line.description)}${line.period ? `<span class="period">${escape(line.period)}</span>` : ''}</td>` +
        `<td class="num">${escape(line.quantity)}</td><td class="num">${escape(line.unitPrice)}</td><td class="num">${escape(line.amount)}</td></tr>`,
    )
    .join('');
  const totals = doc.totals.map(([label, value]) => `<tr><td>${escape(label)}</td><td class="num">${escape(value)}</td></tr>`).join('');
  const facts = doc.facts.map(([label, value]) => `<dt>${escape(label)}</dt><dd>${escape(value)}</dd>`).join('');
  const fields = doc.customFields.map(([name, value]) => `<dt>${escape(name)}</dt><dd>${escape(value)}</dd>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(doc.title)} from ${escape(doc.seller.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${doc.livemode ? '' : '<p class="test" role="note">Test mode: this invoice was made with a test key.</p>'}
<header>
  <div>
    <h1>Invoice ${doc.stamp ? `<span class="stamp ${doc.status}">${escape(doc.stamp)}</span>` : ''}</h1>
    <dl class="facts">${facts}${fields}</dl>
  </div>
  <div class="seller">
    <p><strong>${escape(doc.seller.name)}</strong></p>
    ${lines(doc.seller.address)}
    ${doc.seller.email ? `<p>${escape(doc.seller.email)}</p>` : ''}
  </div>
</header>
<section class="parties">
  <div><h2>Bill to</h2>${lines(doc.billTo)}</div>
  ${doc.shipTo ? `<div><h2>Ship to</h2>${lines(doc.shipTo)}</div>` : ''}
</section>
<p class="due-line"><strong>${escape(doc.amountDue)}</strong> due${doc.stamp ? ` · ${escape(doc.stamp)}` : ''}</p>
<table>
  <thead><tr><th scope="col">Description</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
  <tbody>${rows}</tbody>
</table>
<table class="totals">
  <tbody>${totals}<tr class="due"><td>Amount due</td><td class="num">${escape(doc.amountDue)}</td></tr></tbody>
</table>
<p><a href="${escape(pdfUrl)}">Download invoice (PDF)</a></p>
${doc.footer ? `<footer>${escape(doc.footer)}</footer>` : ''}
</main>
</body>
</html>
`;
}
