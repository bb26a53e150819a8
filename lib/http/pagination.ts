import { InvalidRequestError } from '../errors';
import type { Params } from './params';
import type { ListQuery } from '../store/objects';

/** Reads Stripe's list parameters: limit 1..100 (default 10), starting_after / ending_before. */
export function readListQuery(params: Params): Omit<ListQuery, 'filter'> {
  const limit = params.optionalInteger('limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = params.optionalString('starting_after');
  const endingBefore = params.optionalString('ending_before');
  if (startingAfter && endingBefore) {
    throw new InvalidRequestError('You may only specify one of these parameters: starting_after, ending_before.', 'ending_before');
  }
  return { limit, startingAfter, endingBefore };
}
