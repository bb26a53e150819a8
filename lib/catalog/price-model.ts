import { dimensionsOf, type Dimensions } from '../domain/dimensions';
import type { Money } from '../domain/money';
import type { Metadata, MetadataUpdate } from '../domain/metadata';
import type { Interval } from '../domain/periods';
import type { PageQuery } from '../store/objects';
import type { NewProductCommand } from './products';

export type { Interval };
export type UsageType = 'licensed' | 'metered';
export type BillingScheme = 'per_unit' | 'tiered';
export type TiersMode = 'graduated' | 'volume';
export type TaxBehavior = 'exclusive' | 'inclusive' | 'unspecified';

export const INTERVALS: readonly Interval[] = ['day', 'week', 'month', 'year'];
export const USAGE_TYPES: readonly UsageType[] = ['licensed', 'metered'];
export const BILLING_SCHEMES: readonly BillingScheme[] = ['per_unit', 'tiered'];
export const TIERS_MODES: readonly TiersMode[] = ['graduated', 'volume'];
export const TAX_BEHAVIORS: readonly TaxBehavior[] = ['exclusive', 'inclusive', 'unspecified'];
export const PRICE_TYPES = ['one_time', 'recurring'] as const;
/** 15 digits: the largest integers that read back from DynamoDB as exact JS numbers. */
export const MAX_INTEGER = 999_999_999_999_999;
export const MAX_LOOKUP_KEYS = 10;

export interface PriceRecurring {
  interval: Interval;
  interval_count: number;
  /** The meter whose usage a metered price bills; null for licensed prices. */
  meter: string | null;
  trial_period_days: number | null;
  usage_type: UsageType;
  /**
   * Meterline's extension, named after Stripe's `meter_segment_conditions`: the price bills only
   * the meter's usage whose dimension values match every condition. Absent on prices without any.
   */
  meter_segment_conditions?: SegmentCondition[];
}

/** One condition of a metered price on a dimension of its meter. */
export interface SegmentCondition {
  dimension: string;
  value: string;
}

export interface PriceTier {
  flat_amount: number | null;
  /** Set whenever the tier has a flat amount (e.g. "500" for flat_amount 500). */
  flat_amount_decimal: string | null;
  unit_amount: number | null;
  /** Set whenever the tier has a unit amount. */
  unit_amount_decimal: string | null;
  /** Inclusive upper bound of the tier; null is Stripe's `inf` (always the last tier). */
  up_to: number | null;
}

export interface TransformQuantity {
  divide_by: number;
  round: 'up' | 'down';
}

/**
 * Stripe's Price, stored and returned as is. `tiers` is always present: the tiers of a tiered
 * price (Stripe shows them only with `expand[]=tiers`), null for per_unit prices.
 */
export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: BillingScheme;
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: PriceRecurring | null;
  tax_behavior: TaxBehavior;
  tiers: PriceTier[] | null;
  tiers_mode: TiersMode | null;
  transform_quantity: TransformQuantity | null;
  type: 'one_time' | 'recurring';
  /** The unit amount when it is a whole number of minor units, else null. Null for tiered prices. */
  unit_amount: number | null;
  /** Always set for per_unit prices ("1000" for unit_amount 1000); null for tiered prices. */
  unit_amount_decimal: string | null;
}

/** An amount as a price or a tier takes it: `<name>` (integer minor units) or `<name>_decimal`, not both. */
export interface AmountParams {
  unit_amount?: number;
  unit_amount_decimal?: Money;
}

export interface FlatAmountParams {
  flat_amount?: number;
  flat_amount_decimal?: Money;
}

export interface TierCommand extends AmountParams, FlatAmountParams {
  /** null is `inf`. */
  up_to: number | null;
}

export interface RecurringCommand {
  interval: Interval;
  interval_count?: number;
  usage_type?: UsageType;
  meter?: string;
  trial_period_days?: number;
  meter_segment_conditions?: SegmentCondition[];
}

/** POST /v1/prices. */
export interface CreatePriceCommand extends AmountParams {
  currency: string;
  product?: string;
  product_data?: NewProductCommand;
  recurring?: RecurringCommand;
  billing_scheme?: BillingScheme;
  tiers_mode?: TiersMode;
  tiers?: TierCommand[];
  transform_quantity?: TransformQuantity;
  nickname?: string | null;
  lookup_key?: string | null;
  transfer_lookup_key?: boolean;
  active?: boolean;
  metadata?: MetadataUpdate;
  tax_behavior?: TaxBehavior;
}

/** POST /v1/prices/:id: what Stripe lets change on a price. */
export interface UpdatePriceCommand {
  active?: boolean;
  nickname?: string | null;
  lookup_key?: string | null;
  transfer_lookup_key?: boolean;
  metadata?: MetadataUpdate;
}

/** GET /v1/prices. */
export interface ListPricesCommand {
  page: PageQuery;
  active?: boolean;
  product?: string;
  currency?: string;
  type?: Price['type'];
  recurring?: { interval?: Interval; usage_type?: UsageType; meter?: string };
  lookup_keys?: string[];
}

/** Whether a price bills metered usage (as opposed to a licensed quantity). */
export const isMetered = (price: Price) => price.recurring?.usage_type === 'metered';

/** The dimension values a metered price's conditions ask for ({} for a price that bills all of its meter's usage). */
export function segmentOf(price: Price): Dimensions {
  return dimensionsOf((price.recurring?.meter_segment_conditions ?? []).map((c) => [c.dimension, c.value]));
}
