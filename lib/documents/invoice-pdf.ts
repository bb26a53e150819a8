import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import * as fontkit from 'fontkit';
import type { InvoiceDocument } from './invoice-document';

/**
 * Fonts: Noto Sans (Latin, Greek, Cyrillic; regular and bold, 0.6 MB each) and Noto Sans JP
 * (kana and kanji, 5.5 MB) for the characters Noto Sans lacks. pdfkit embeds only the glyphs a
 * document uses, so a PDF stays small; the fonts cost the PDF function's bundle about 3.7 MB
 * gzipped, and no other function carries them. On Lambda they sit next to the handler
 * (`METERLINE_FONTS_DIR`); locally they are read from node_modules.
 */
const FONT_FILES = {
  regular: ['@expo-google-fonts/noto-sans', '400Regular/NotoSans_400Regular.ttf'],
  bold: ['@expo-google-fonts/noto-sans', '700Bold/NotoSans_700Bold.ttf'],
  japanese: ['@expo-google-fonts/noto-sans-jp', '400Regular/NotoSansJP_400Regular.ttf'],
} as const;

type FontName = keyof typeof FONT_FILES;

function fontPath(name: FontName): string {
  const [pkg, file] = FONT_FILES[name];
  const dir = process.env.METERLINE_FONTS_DIR;
  if (dir) return join(dir, file.split('/').pop()!);
  return join(createRequire(import.meta.url).resolve(`${pkg}/package.json`), '..', file);
}

let fonts: Record<FontName, fontkit.Font> | undefined;

/**
 * The fonts, read and parsed once per container: pdfkit takes parsed fonts as they are, so a
 * document only subsets them (parsing Noto Sans JP's tables for every document cost 0.6 s).
 */
function loadFonts(): Record<FontName, fontkit.Font> {
  fonts ??= Object.fromEntries((Object.keys(FONT_FILES) as FontName[]).map((name) => [name, fontkit.create(readFileSync(fontPath(name))) as fontkit.Font])) as Record<FontName, fontkit.Font>;
  return fonts;
}

/** `text` cut into runs that one font can draw: Noto Sans where it has the glyph, Noto Sans JP elsewhere. */
function runs(text: string, latin: fontkit.Font, base: 'regular' | 'bold'): { font: FontName; text: string }[] {
  const out: { font: FontName; text: string }[] = [];
  for (const char of text) {
    const font: FontName = /\s/.test(char) || latin.hasGlyphForCodePoint(char.codePointAt(0)!) ? base : 'japanese';
    const last = out.at(-1);
    if (last && (last.font === font || /\s/.test(char))) last.text += char;
    else out.push({ font, text: char });
  }
  return out;
}

const GREY = '#545969';
const INK = '#1a1f36';
const MARGIN = 50;

/**
 * The PDF of an invoice document: the same text as the hosted page, as real (selectable,
 * extractable) text. Deterministic: the same document renders to the same bytes (pdfkit derives
 * the file id from the document info, whose creation date is the invoice's), so a finalized
 * invoice's PDF can be served from any cache.
 */
export async function renderInvoicePdf(doc: InvoiceDocument, createdAt: Date): Promise<Buffer> {
  const files = loadFonts();
  const latin = files.regular;
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    font: files.regular as unknown as string,
    info: { Title: doc.title, Author: doc.seller.name, Creator: 'Meterline', Producer: 'Meterline', CreationDate: createdAt },
    lang: 'en',
    displayTitle: true,
  });
  for (const name of Object.keys(files) as FontName[]) pdf.registerFont(name, files[name] as unknown as string);
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => pdf.on('end', () => resolve()));

  const width = pdf.page.width - 2 * MARGIN;
  /** Writes `text` at (x, y) in `width`, switching fonts where a character needs it. */
  const write = (text: string, x: number, y: number, options: { width: number; align?: 'left' | 'right'; size?: number; bold?: boolean; color?: string }) => {
    const parts = runs(text, latin, options.bold ? 'bold' : 'regular');
    let size = options.size ?? 10;
    if (options.align === 'right' && parts.length === 1) {
      // A figure stays on one line: a long one is set smaller rather than broken.
      const natural = pdf.font(parts[0]!.font).fontSize(size).widthOfString(text);
      if (natural > options.width) size = (size * options.width) / natural;
    }
    pdf.fontSize(size).fillColor(options.color ?? INK);
    if (parts.length <= 1) {
      pdf.font(parts[0]?.font ?? 'regular').text(text, x, y, { width: options.width, align: options.align ?? 'left' });
      return pdf.y;
    }
    const widths = parts.map((part) => pdf.font(part.font).widthOfString(part.text));
    const total = widths.reduce((a, b) => a + b, 0);
    if (total <= options.width) {
      // One line: each run placed where the previous one ended (right-aligned from the end).
      let at = options.align === 'right' ? x + options.width - total : x;
      parts.forEach((part, i) => {
        pdf.font(part.font).text(part.text, at, y, { lineBreak: false });
        at += widths[i]!;
      });
      pdf.font('regular');
      return y + pdf.currentLineHeight(true);
    }
    // Longer text wraps, left-aligned, as one flow of runs.
    parts.forEach((part, i) => {
      pdf.font(part.font);
      if (i === 0) pdf.text(part.text, x, y, { width: options.width, continued: true });
      else pdf.text(part.text, { continued: i < parts.length - 1 });
    });
    return pdf.y;
  };

  // Header: title and stamp on the left, the seller on the right.
  write(doc.stamp ? `Invoice · ${doc.stamp.toUpperCase()}` : 'Invoice', MARGIN, MARGIN, { width: width / 2, size: 20, bold: true });
  let left = MARGIN + 34;
  if (!doc.livemode) left = write('Test mode', MARGIN, left, { width: width / 2, color: '#8a4b00' }) + 4;
  for (const [label, value] of doc.facts) {
    write(label, MARGIN, left, { width: 110, color: GREY });
    left = Math.max(write(value, MARGIN + 110, left, { width: width / 2 - 110 }), left + 13);
  }
  for (const [label, value] of doc.customFields) {
    write(label, MARGIN, left, { width: 110, color: GREY });
    left = Math.max(write(value, MARGIN + 110, left, { width: width / 2 - 110 }), left + 13);
  }
  let right = write(doc.seller.name, MARGIN + width / 2, MARGIN, { width: width / 2, align: 'right', bold: true });
  for (const line of [...doc.seller.address, ...(doc.seller.email ? [doc.seller.email] : [])]) right = write(line, MARGIN + width / 2, right, { width: width / 2, align: 'right' });

  // The parties.
  let y = Math.max(left, right) + 24;
  const columns = doc.shipTo ? 2 : 1;
  const party = (title: string, lines: string[], x: number) => {
    let at = write(title.toUpperCase(), x, y, { width: width / 2, size: 8, color: GREY }) + 2;
    for (const line of lines) at = write(line, x, at, { width: width / 2 - 10 });
    return at;
  };
  const billed = party('Bill to', doc.billTo, MARGIN);
  const shipped = columns === 2 ? party('Ship to', doc.shipTo!, MARGIN + width / 2) : billed;
  y = Math.max(billed, shipped) + 16;
  y = write(`${doc.amountDue} due${doc.stamp ? ` · ${doc.stamp}` : ''}`, MARGIN, y, { width, size: 14, bold: true }) + 14;

  // The lines, with their header repeated on each new page.
  const col = { description: width - 285, quantity: 90, unit: 95, amount: 100 };
  const x = { quantity: MARGIN + col.description, unit: MARGIN + col.description + col.quantity, amount: MARGIN + col.description + col.quantity + col.unit };
  const bottom = pdf.page.height - MARGIN;
  const header = () => {
    write('Description', MARGIN, y, { width: col.description, size: 8, color: GREY });
    write('Qty', x.quantity, y, { width: col.quantity, size: 8, color: GREY, align: 'right' });
    write('Unit price', x.unit, y, { width: col.unit, size: 8, color: GREY, align: 'right' });
    write('Amount', x.amount, y, { width: col.amount, size: 8, color: GREY, align: 'right' });
    y += 14;
    pdf.moveTo(MARGIN, y - 3).lineTo(MARGIN + width, y - 3).strokeColor('#d5dbe1').lineWidth(0.7).stroke();
  };
  const room = (height: number) => {
    if (y + height <= bottom) return;
    pdf.addPage();
    y = MARGIN;
    header();
  };
  header();
  for (const line of doc.lines) {
    pdf.font('regular').fontSize(10);
    const height = pdf.heightOfString(line.description, { width: col.description }) + (line.period ? 12 : 0) + 8;
    room(height);
    let end = write(line.description, MARGIN, y, { width: col.description });
    if (line.period) end = write(line.period, MARGIN, end, { width: col.description, size: 8, color: GREY });
    write(line.quantity, x.quantity, y, { width: col.quantity, align: 'right' });
    write(line.unitPrice, x.unit, y, { width: col.unit, align: 'right' });
    write(line.amount, x.amount, y, { width: col.amount, align: 'right' });
    y = Math.max(end, y + 13) + 6;
  }

  // Totals, right-aligned, ending with the amount due.
  room(16 * (doc.totals.length + 2));
  y += 6;
  for (const [label, value] of doc.totals) {
    write(label, MARGIN + width / 2 - 60, y, { width: width / 2 - 40, align: 'right', color: GREY });
    write(value, x.amount, y, { width: col.amount, align: 'right' });
    y += 16;
  }
  pdf.moveTo(MARGIN + width / 2, y - 2).lineTo(MARGIN + width, y - 2).strokeColor(INK).lineWidth(0.7).stroke();
  write('Amount due', MARGIN + width / 2 - 60, y + 2, { width: width / 2 - 40, align: 'right', bold: true });
  write(doc.amountDue, x.amount, y + 2, { width: col.amount, align: 'right', bold: true });
  y += 30;

  if (doc.footer) {
    room(pdf.heightOfString(doc.footer, { width }) + 10);
    write(doc.footer, MARGIN, y, { width, size: 9, color: GREY });
  }
  pdf.end();
  await ended;
  return Buffer.concat(chunks);
}
