import type Decimal from 'decimal.js';
import { Money, roundToMinorUnit } from './money';
import { pricingModel, type PricingTerms } from './pricing';

/** One invoice line's figures: the quantity it shows and its amount, rounded to the minor unit. */
export interface LineFigures {
  quantity: Decimal;
  amount: number;
}

/**
 * Prices `quantity` (negative usage bills 0) and rounds the line to the nearest minor unit, half
 * up; `factor` prorates a partial period. Lines are rounded one by one, before they are summed.
 */
export function lineFigures(terms: PricingTerms, quantity: Decimal, factor: Decimal = new Money(1)): LineFigures {
  const billable = quantity.isNegative() ? new Money(0) : quantity;
  const model = pricingModel(terms);
  return { quantity: model.billedQuantity(billable), amount: roundToMinorUnit(model.amount(billable).times(factor)) };
}

/** An invoice's totals from its rounded lines. */
export function invoiceTotals(lineAmounts: readonly number[], amountPaid = 0) {
  const subtotal = lineAmounts.reduce((sum, amount) => sum + amount, 0);
  return { subtotal, total: subtotal, amount_due: subtotal, amount_remaining: Math.max(0, subtotal - amountPaid) };
}
