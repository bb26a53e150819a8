/** The dimensioned run's workload: LLM tokens by model and token type, and its exact expected totals. */
import { Quantity } from '../../lib/domain/quantity';

export const MODELS = ['gpt-large', 'gpt-medium', 'gpt-small'] as const;
export const TOKEN_TYPES = ['input', 'output'] as const;
/** The meter's dimension_payload_keys. */
export const DIMENSION_KEYS = ['model', 'token_type'] as const;
/** 3 models x 2 token types: combination c is model floor(c / 2), token type c % 2. */
export const COMBINATIONS = MODELS.length * TOKEN_TYPES.length;

export const modelOf = (combination: number) => Math.floor(combination / TOKEN_TYPES.length);

/** The payload keys of combination `c`. */
export function dimensionPayload(combination: number): { model: string; token_type: string } {
  return { model: MODELS[modelOf(combination)]!, token_type: TOKEN_TYPES[combination % TOKEN_TYPES.length]! };
}

/** Exact totals by (row, model): a customer's per-model totals, or an hour's. */
export class ModelTotals {
  private readonly totals: Quantity[];

  constructor(readonly rows: number) {
    this.totals = Array.from({ length: rows * MODELS.length }, () => new Quantity(0));
  }

  add(row: number, combination: number, value: string): void {
    const i = row * MODELS.length + modelOf(combination);
    this.totals[i] = this.totals[i]!.plus(value);
  }

  get(row: number, model: number): Quantity {
    return this.totals[row * MODELS.length + model]!;
  }
}

/** A summary grouped by model, as the API answers it. */
export interface ModelSummary {
  aggregated_value: number;
  dimensions?: Record<string, string>;
}

/**
 * What differs between the per-model summaries of one row (a customer, or an hour) and the
 * exact expected totals: a missing, extra or unequal group, in words; empty when exact. A model
 * without expected usage must have no group.
 */
export function modelMismatches(summaries: readonly ModelSummary[], expected: ModelTotals, row: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of summaries) {
    const model = s.dimensions?.model;
    const index = MODELS.indexOf(model as (typeof MODELS)[number]);
    if (index < 0 || Object.keys(s.dimensions ?? {}).length !== 1) {
      problems.push(`unexpected group ${JSON.stringify(s.dimensions)}`);
      continue;
    }
    if (seen.has(model!)) problems.push(`group ${model} twice`);
    seen.add(model!);
    const want = expected.get(row, index);
    if (!new Quantity(String(s.aggregated_value)).eq(want)) problems.push(`${model}: ${s.aggregated_value}, expected ${want.toFixed()}`);
  }
  MODELS.forEach((model, index) => {
    if (!seen.has(model) && !expected.get(row, index).eq(0)) problems.push(`${model}: no group, expected ${expected.get(row, index).toFixed()}`);
  });
  return problems;
}
