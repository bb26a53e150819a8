import type Decimal from 'decimal.js';
import { Money, parseAmountDecimal } from './money';

/**
 * Pricing models as interchangeable strategies (per unit, package, graduated, volume), chosen by
 * `pricingModel` from the Stripe fields of a Price. Amounts are exact minor units (unrounded):
 * the invoice rounds once per line. Quantities are exact decimals and may be fractional.
 */

export interface PriceTier {
  /** Inclusive upper bound; null is Stripe's `inf`. */
  up_to: number | null;
  unit_amount_decimal: string | null;
  flat_amount_decimal: string | null;
}

/** The pricing fields of a Stripe Price, so a stored Price can be passed as is. */
export interface PricingTerms {
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount_decimal: string | null;
  tiers_mode: 'graduated' | 'volume' | null;
  tiers: readonly PriceTier[] | null;
  transform_quantity: { divide_by: number; round: 'up' | 'down' } | null;
}

export interface PricingModel {
  /** Exact (unrounded) amount in minor units for a quantity; negative quantities count as 0. */
  amount(quantity: Decimal): Money;
  /** The quantity the invoice line shows; negative quantities show as 0. */
  billedQuantity(quantity: Decimal): Decimal;
}

interface Tier {
  upTo: Money | null;
  unit: Money;
  flat: Money;
}

/** The pricing strategy for a price's terms; throws on terms the price API can never produce. */
export function pricingModel(terms: PricingTerms): PricingModel {
  if (terms.billing_scheme === 'per_unit') {
    const unit = amountOf(terms.unit_amount_decimal, 'unit_amount_decimal');
    return terms.transform_quantity ? packageModel(unit, terms.transform_quantity) : perUnitModel(unit);
  }
  if (!terms.tiers || terms.tiers.length === 0) throw new Error('tiered price without tiers');
  const tiers = terms.tiers.map(parseTier);
  if (terms.tiers_mode === 'graduated') return graduatedModel(tiers);
  if (terms.tiers_mode === 'volume') return volumeModel(tiers);
  throw new Error(`tiered price with tiers_mode ${String(terms.tiers_mode)}`);
}

/** Exact amount in minor units for a usage quantity; negative quantities bill as quantity 0. */
export function priceAmount(terms: PricingTerms, quantity: Decimal): Money {
  return pricingModel(terms).amount(quantity);
}

function perUnitModel(unit: Money): PricingModel {
  return {
    amount: (quantity) => clamp(quantity).times(unit),
    billedQuantity: clampQuantity,
  };
}

/**
 * Package pricing: the amount is charged per started (`up`) or completed (`down`) package of
 * `divide_by` units. The line shows the reported usage, untransformed, as Stripe's invoice line
 * `quantity` does (150 minutes at 10 USD per 60 minutes: quantity 150, amount 30 USD).
 */
function packageModel(unit: Money, transform: { divide_by: number; round: 'up' | 'down' }): PricingModel {
  const size = new Money(transform.divide_by);
  if (!size.isInteger() || size.lte(0)) throw new Error(`transform_quantity.divide_by ${transform.divide_by} is not a positive integer`);
  return {
    amount(quantity) {
      const q = clamp(quantity);
      // divToInt and mod are exact, where q / size may not terminate.
      const whole = q.divToInt(size);
      const packages = transform.round === 'up' && !q.mod(size).isZero() ? whole.plus(1) : whole;
      return packages.times(unit);
    },
    billedQuantity: clampQuantity,
  };
}

/**
 * Graduated tiers: tier i prices the units in (up_to[i-1], up_to[i]] at its unit amount, plus its
 * flat amount when some quantity reaches it. The first tier's flat amount is billed even at
 * quantity 0: Stripe's flat_amount is "the flat billing amount for an entire tier, regardless of
 * the number of units in the tier", and a base fee on the first tier is how Stripe models a fixed
 * fee plus usage (OpenMeter and Lago changed to match: openmeter#2119, lago-api#5760).
 */
function graduatedModel(tiers: readonly Tier[]): PricingModel {
  return {
    amount(quantity) {
      const q = clamp(quantity);
      let total = new Money(0);
      let lower = new Money(0);
      for (const [i, tier] of tiers.entries()) {
        if (i > 0 && q.lte(lower)) break;
        const upper = tier.upTo === null ? q : Money.min(q, tier.upTo);
        total = total.plus(upper.minus(lower).times(tier.unit)).plus(tier.flat);
        if (tier.upTo === null || q.lte(tier.upTo)) break;
        lower = tier.upTo;
      }
      return total;
    },
    billedQuantity: clampQuantity,
  };
}

/**
 * Volume tiers: the whole quantity is priced at the one tier that contains it (the first whose
 * up_to >= quantity, else the `inf` tier), plus that tier's flat amount. Quantity 0 falls into the
 * first tier, so its flat amount is billed, as for graduated tiers.
 */
function volumeModel(tiers: readonly Tier[]): PricingModel {
  const last = tiers[tiers.length - 1];
  if (!last) throw new Error('tiered price without tiers');
  return {
    amount(quantity) {
      const q = clamp(quantity);
      const tier = tiers.find((t) => t.upTo === null || q.lte(t.upTo)) ?? last;
      return q.times(tier.unit).plus(tier.flat);
    },
    billedQuantity: clampQuantity,
  };
}

function parseTier(tier: PriceTier): Tier {
  return {
    upTo: tier.up_to === null ? null : new Money(tier.up_to),
    unit: tier.unit_amount_decimal === null ? new Money(0) : amountOf(tier.unit_amount_decimal, 'tiers.unit_amount_decimal'),
    flat: tier.flat_amount_decimal === null ? new Money(0) : amountOf(tier.flat_amount_decimal, 'tiers.flat_amount_decimal'),
  };
}

function amountOf(text: string | null, field: string): Money {
  const amount = text === null ? undefined : parseAmountDecimal(text);
  if (!amount) throw new Error(`price ${field} ${String(text)} is not an amount`);
  return amount;
}

/** The quantity as Money (an exact copy; precision 60 keeps quantity x price exact in practice). */
function clamp(quantity: Decimal): Money {
  return quantity.isNegative() ? new Money(0) : new Money(quantity);
}

/** Negative totals (corrections) bill quantity 0; keeps the caller's Decimal flavour otherwise. */
function clampQuantity(quantity: Decimal): Decimal {
  const Flavour = quantity.constructor as typeof Decimal;
  return quantity.isNegative() ? new Flavour(0) : quantity;
}
