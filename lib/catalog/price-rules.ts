import { InvalidRequestError, MissingParameterError } from '../errors';
import { newId } from '../domain/ids';
import { formatAmountDecimal, isCurrency, Money } from '../domain/money';
import { isValidIntervalCount, maxIntervalCount } from '../domain/periods';
import { applyMetadata } from '../metadata';
import type { CreatePriceCommand, Price, PriceRecurring, PriceTier, RecurringCommand, TierCommand } from './price-model';

/** An amount in minor units: the integer, and the canonical decimal text. */
interface Amount {
  integer: number | null;
  decimal: string;
}

function amountOf(value: Money): Amount {
  return { integer: value.isInteger() ? value.toNumber() : null, decimal: formatAmountDecimal(value) };
}

/** `<name>` or `<name>_decimal`, not both (`at` names the object they sit in, e.g. `tiers[0]`); undefined when neither is given. */
function amount(integer: number | undefined, decimal: Money | undefined, name: string, at = ''): Amount | undefined {
  if (integer !== undefined && decimal !== undefined) {
    const param = at ? `${at}[${name}_decimal]` : `${name}_decimal`;
    throw new InvalidRequestError(`You may only specify one of these parameters: ${name}, ${name}_decimal.`, param);
  }
  if (integer !== undefined) return amountOf(new Money(integer));
  return decimal === undefined ? undefined : amountOf(decimal);
}

/** Each tier has an amount; only the last is `inf`; `up_to` rises. */
export function tiersOf(commands: TierCommand[]): PriceTier[] {
  const tiers = commands.map((tier, i): PriceTier => {
    const unit = amount(tier.unit_amount, tier.unit_amount_decimal, 'unit_amount', `tiers[${i}]`);
    const flat = amount(tier.flat_amount, tier.flat_amount_decimal, 'flat_amount', `tiers[${i}]`);
    if (!unit && !flat) throw new InvalidRequestError('Each tier needs a unit_amount or a flat_amount.', `tiers[${i}][unit_amount]`);
    return {
      flat_amount: flat?.integer ?? null,
      flat_amount_decimal: flat?.decimal ?? null,
      unit_amount: unit?.integer ?? null,
      unit_amount_decimal: unit?.decimal ?? null,
      up_to: tier.up_to,
    };
  });
  if (tiers.length === 0) throw new InvalidRequestError('A tiered price needs at least one tier.', 'tiers');
  tiers.forEach((tier, i) => {
    const param = `tiers[${i}][up_to]`;
    const last = i === tiers.length - 1;
    if (last && tier.up_to !== null) throw new InvalidRequestError(`The last tier must have up_to=inf.`, param);
    if (!last && tier.up_to === null) throw new InvalidRequestError(`Only the last tier can have up_to=inf.`, param);
    const previous = i > 0 ? tiers[i - 1]!.up_to : null;
    if (tier.up_to !== null && previous !== null && tier.up_to <= previous) {
      throw new InvalidRequestError(`Tiers must be in ascending order of up_to: ${tier.up_to} is not above ${previous}.`, param);
    }
  });
  return tiers;
}

/** At most 3 years per period; a metered price names its meter, a licensed one has none. */
export function recurringOf(command: RecurringCommand): PriceRecurring {
  const { interval, interval_count: intervalCount = 1, usage_type: usageType = 'licensed', meter, trial_period_days: trialDays, meter_segment_conditions: conditions } = command;
  if (!isValidIntervalCount(interval, intervalCount)) {
    throw new InvalidRequestError(`The maximum billing interval is 3 years (${maxIntervalCount[interval]} ${interval}s).`, 'recurring[interval_count]');
  }
  if (usageType === 'metered' && !meter) throw new MissingParameterError('recurring[meter]');
  if (usageType === 'licensed' && meter !== undefined) {
    throw new InvalidRequestError('Only metered prices (recurring[usage_type]=metered) can have a meter.', 'recurring[meter]');
  }
  if (conditions?.length) {
    if (usageType !== 'metered') {
      throw new InvalidRequestError('Only metered prices can have meter_segment_conditions.', 'recurring[meter_segment_conditions]');
    }
    conditions.forEach(({ dimension }, i) => {
      if (conditions.findIndex((c) => c.dimension === dimension) !== i) {
        throw new InvalidRequestError(`The dimension '${dimension}' has two conditions.`, `recurring[meter_segment_conditions][${i}][dimension]`);
      }
    });
  }
  return {
    interval,
    interval_count: intervalCount,
    meter: meter ?? null,
    trial_period_days: trialDays ?? null,
    usage_type: usageType,
    ...(conditions?.length ? { meter_segment_conditions: conditions } : {}),
  };
}

/** What a new price is made of, before its product and meter are looked up. */
export type PriceTerms = Omit<Price, 'id' | 'object' | 'created' | 'livemode' | 'product'>;

/**
 * The terms of a new price from its command, or the rule it breaks: one product source, per_unit
 * prices have an amount and no tiers, tiered prices have tiers and a mode and neither an amount
 * nor a quantity transform.
 */
export function priceTerms(command: CreatePriceCommand): PriceTerms {
  const unit = amount(command.unit_amount, command.unit_amount_decimal, 'unit_amount');
  const recurring = command.recurring && recurringOf(command.recurring);
  const billingScheme = command.billing_scheme ?? 'per_unit';
  const tiers = command.tiers && tiersOf(command.tiers);
  const metadata = applyMetadata({}, command.metadata);
  const currency = command.currency.toLowerCase();
  if (!isCurrency(currency)) throw new InvalidRequestError(`Invalid currency: ${command.currency}.`, 'currency');
  checkProductSource(command);
  if (billingScheme === 'per_unit') {
    if (command.tiers_mode !== undefined) throw new InvalidRequestError('tiers_mode is only allowed with billing_scheme=tiered.', 'tiers_mode');
    if (tiers !== undefined) throw new InvalidRequestError('tiers are only allowed with billing_scheme=tiered.', 'tiers');
    if (!unit) throw new MissingParameterError('unit_amount');
  } else {
    if (unit) {
      const param = command.unit_amount !== undefined ? 'unit_amount' : 'unit_amount_decimal';
      throw new InvalidRequestError(`${param} is not allowed with billing_scheme=tiered: the tiers hold the amounts.`, param);
    }
    if (!command.tiers_mode) throw new MissingParameterError('tiers_mode');
    if (!tiers) throw new MissingParameterError('tiers');
    if (command.transform_quantity) throw new InvalidRequestError('transform_quantity cannot be combined with tiers.', 'transform_quantity');
  }
  return {
    active: command.active ?? true,
    billing_scheme: billingScheme,
    currency,
    custom_unit_amount: null,
    lookup_key: command.lookup_key ?? null,
    metadata,
    nickname: command.nickname ?? null,
    recurring: recurring ?? null,
    tax_behavior: command.tax_behavior ?? 'unspecified',
    tiers: tiers ?? null,
    tiers_mode: command.tiers_mode ?? null,
    transform_quantity: command.transform_quantity ?? null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unit?.integer ?? null,
    unit_amount_decimal: unit?.decimal ?? null,
  };
}

/** The price of `product` with `terms`, in Stripe's field order. */
export function newPrice(terms: PriceTerms, product: string, now: number, livemode: boolean): Price {
  const t = terms;
  return {
    id: newId('price', now * 1000),
    object: 'price',
    active: t.active,
    billing_scheme: t.billing_scheme,
    created: now,
    currency: t.currency,
    custom_unit_amount: null,
    livemode,
    lookup_key: t.lookup_key,
    metadata: t.metadata,
    nickname: t.nickname,
    product,
    recurring: t.recurring,
    tax_behavior: t.tax_behavior,
    tiers: t.tiers,
    tiers_mode: t.tiers_mode,
    transform_quantity: t.transform_quantity,
    type: t.type,
    unit_amount: t.unit_amount,
    unit_amount_decimal: t.unit_amount_decimal,
  };
}

/** A price names its product, or creates one inline (`product_data`): exactly one of them. */
export function checkProductSource(command: Pick<CreatePriceCommand, 'product' | 'product_data'>): void {
  if (command.product !== undefined && command.product_data !== undefined) {
    throw new InvalidRequestError('You may only specify one of these parameters: product, product_data.', 'product_data');
  }
  if (!command.product && !command.product_data) throw new MissingParameterError('product');
}
