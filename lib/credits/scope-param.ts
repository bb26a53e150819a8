import { InvalidRequestError } from '../errors';
import type { Params } from '../http/params';

/** A scope as a request names it: every metered price, or these price ids (each with its parameter path, for errors). */
export type ScopeParam = { price_type: 'metered' } | { prices: { id: string; param: string }[] };

/**
 * Reads an applicability scope parameter (`applicability_config[scope]`,
 * `filter[applicability_scope]`): exactly one of `price_type` (only `metered`) and `prices`.
 */
export function readScopeParam(scope: Params): ScopeParam {
  const priceType = scope.optionalString('price_type', { oneOf: ['metered'] });
  const prices = scope.optionalObjectList('prices')?.map((price) => {
    const param = price.path('id');
    const id = price.string('id');
    price.done();
    return { id, param };
  });
  scope.done();
  if ((priceType === undefined) === (prices === undefined)) {
    throw new InvalidRequestError('Pass exactly one of price_type and prices.', scope.path(priceType === undefined ? 'price_type' : 'prices'));
  }
  return prices ? { prices } : { price_type: 'metered' };
}
