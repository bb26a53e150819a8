import qs from 'qs';
import { describe, expect, it } from 'vitest';
import { listParams, noParams, p, params, parseParams, type ParamsSchema } from '../../lib/http/schema';
import { InvalidRequestError } from '../../lib/errors';

/** A form body as the request parser decodes it (bracket names, every scalar a string). */
const form = (text: string) => qs.parse(text, { plainObjects: true, depth: 6, arrayLimit: 1000 }) as Record<string, unknown>;

/** The Stripe error a schema answers `input` with: code, message and param. */
function refusal(schema: ParamsSchema, input: unknown) {
  try {
    parseParams(schema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    const e = error as InvalidRequestError;
    return { type: e.type, code: e.code, message: e.message, param: e.param };
  }
  throw new Error('expected the parameters to be refused');
}

const price = params({
  currency: p.string(),
  nickname: p.nullableString({ maxLength: 5 }),
  interval: p.optionalString({ oneOf: ['day', 'month'] }),
  unit_amount: p.optionalInteger({ min: 0, max: 100 }),
  active: p.optionalBoolean(),
  recurring: p.optionalObject({ interval: p.string(), interval_count: p.optionalInteger({ min: 1 }) }),
  tiers: p.optionalObjectList({ up_to: p.integer({ min: 1 }), unit_amount_decimal: p.optionalString() }),
  transform_quantity: p.nullableObject({ divide_by: p.integer() }),
  lookup_keys: p.optionalStringList(2),
  created: p.optionalRange(),
  metadata: p.metadata(),
});

describe('parseParams', () => {
  it('turns a form body into a typed command: integers, booleans and lists from their strings', () => {
    const command = parseParams(price, form('currency=usd&unit_amount=42&active=false&tiers[0][up_to]=10&tiers[1][up_to]=20&lookup_keys[0]=a&expand[]=tiers'));
    expect(command).toMatchObject({ currency: 'usd', unit_amount: 42, active: false, tiers: [{ up_to: 10 }, { up_to: 20 }], lookup_keys: ['a'] });
  });

  it('takes JSON values as they come (numbers, booleans, arrays)', () => {
    expect(parseParams(price, { currency: 'usd', unit_amount: 7, active: true, tiers: [{ up_to: 3 }] })).toMatchObject({ unit_amount: 7, active: true, tiers: [{ up_to: 3 }] });
  });

  it('names a missing parameter, at the top and inside an object', () => {
    expect(refusal(price, {})).toEqual({ type: 'invalid_request_error', code: 'parameter_missing', message: 'Missing required param: currency.', param: 'currency' });
    expect(refusal(price, form('currency='))).toMatchObject({ code: 'parameter_missing', param: 'currency' });
    expect(refusal(price, form('currency=usd&recurring[interval_count]=2'))).toMatchObject({ code: 'parameter_missing', message: 'Missing required param: recurring[interval].', param: 'recurring[interval]' });
  });

  it('refuses an unknown parameter, with its bracket path, after the known ones are valid', () => {
    expect(refusal(price, form('currency=usd&colour=red'))).toEqual({ type: 'invalid_request_error', code: 'parameter_unknown', message: 'Received unknown parameter: colour', param: 'colour' });
    expect(refusal(price, form('currency=usd&tiers[0][up_to]=1&tiers[1][up_to]=2&tiers[1][flat]=3'))).toMatchObject({ code: 'parameter_unknown', param: 'tiers[1][flat]' });
    expect(refusal(price, form('colour=red'))).toMatchObject({ code: 'parameter_missing', param: 'currency' });
  });

  it('names a wrong type with the messages Stripe users see', () => {
    expect(refusal(price, { currency: 5 })).toEqual({ type: 'invalid_request_error', code: 'parameter_invalid', message: 'Invalid string: 5', param: 'currency' });
    expect(refusal(price, form('currency=usd&active=yes'))).toMatchObject({ message: 'Invalid boolean: yes', param: 'active' });
    expect(refusal(price, form('currency=usd&recurring=monthly'))).toMatchObject({ message: 'Invalid object', param: 'recurring' });
    expect(refusal(price, form('currency=usd&tiers=3'))).toMatchObject({ message: 'Invalid array', param: 'tiers' });
    expect(refusal(price, form('currency=usd&lookup_keys[0]=a&lookup_keys[1]='))).toMatchObject({ message: 'Invalid string: ""', param: 'lookup_keys[1]' });
    expect(refusal(price, form('currency=usd&lookup_keys[0]=a&lookup_keys[1]=b&lookup_keys[2]=c'))).toMatchObject({ message: 'You can pass at most 2 lookup_keys.', param: 'lookup_keys' });
  });

  it('reads integers as forms send them, and refuses decimals, words and bounds with the parameter name', () => {
    expect(refusal(price, form('currency=usd&unit_amount=1.5'))).toMatchObject({ message: 'Invalid integer: 1.5', param: 'unit_amount' });
    expect(refusal(price, form('currency=usd&unit_amount=ten'))).toMatchObject({ message: 'Invalid integer: ten', param: 'unit_amount' });
    expect(refusal(price, form('currency=usd&unit_amount=101'))).toMatchObject({ message: 'Invalid unit_amount: must be at least 0 and at most 100', param: 'unit_amount' });
    expect(refusal(price, form('currency=usd&unit_amount=99999999999999999999'))).toMatchObject({ message: 'Invalid integer: 99999999999999999999', param: 'unit_amount' });
  });

  it('gives bracket paths to errors deep in a list of objects', () => {
    expect(refusal(price, form('currency=usd&tiers[0][up_to]=5&tiers[1][up_to]=0'))).toEqual({
      type: 'invalid_request_error',
      code: 'parameter_invalid',
      message: 'Invalid up_to: must be at least 1',
      param: 'tiers[1][up_to]',
    });
    expect(refusal(price, form('currency=usd&tiers[0][up_to]=5&tiers[1][unit_amount_decimal]=1'))).toMatchObject({ code: 'parameter_missing', param: 'tiers[1][up_to]' });
  });

  it('applies string rules and names the parameter in their messages', () => {
    expect(refusal(price, form('currency=usd&nickname=toolong'))).toMatchObject({ message: 'Invalid nickname: must be at most 5 characters', param: 'nickname' });
    expect(refusal(price, form('currency=usd&interval=week'))).toMatchObject({ message: 'Invalid interval: must be one of day, month', param: 'interval' });
  });

  it("reads '' as Stripe's unset (null) where a parameter can be cleared", () => {
    expect(parseParams(price, form('currency=usd&nickname=&transform_quantity='))).toMatchObject({ nickname: null, transform_quantity: null });
    expect(parseParams(price, form('currency=usd&transform_quantity[divide_by]=3'))).toMatchObject({ transform_quantity: { divide_by: 3 } });
  });

  it('reads metadata as keys to set and unset, or a clear', () => {
    expect(parseParams(price, form('currency=usd&metadata[a]=1&metadata[b]='))).toMatchObject({ metadata: { set: { a: '1' }, unset: ['b'], clear: false } });
    expect(parseParams(price, form('currency=usd&metadata='))).toMatchObject({ metadata: { set: {}, unset: [], clear: true } });
    expect(parseParams(price, { currency: 'usd', metadata: { n: 5 } })).toMatchObject({ metadata: { set: { n: '5' } } });
    expect(refusal(price, { currency: 'usd', metadata: { n: { deep: 1 } } })).toMatchObject({ message: 'Invalid string: {"deep":1}', param: 'metadata[n]' });
    expect(refusal(price, form(`currency=usd&metadata[${'k'.repeat(41)}]=1`))).toMatchObject({ message: 'Metadata keys can be at most 40 characters', param: `metadata[${'k'.repeat(41)}]` });
    expect(refusal(price, form(`currency=usd&metadata[k]=${'v'.repeat(501)}`))).toMatchObject({ message: 'Metadata values can be at most 500 characters', param: 'metadata[k]' });
    expect(refusal(price, form('currency=usd&metadata=x'))).toMatchObject({ message: 'Invalid hash', param: 'metadata' });
  });

  it('reads a range filter as inclusive bounds', () => {
    expect(parseParams(price, form('currency=usd&created=5')).created).toEqual({ from: 5, to: 5 });
    expect(parseParams(price, form('currency=usd&created[gt]=5&created[lt]=9')).created).toEqual({ from: 6, to: 8 });
    expect(refusal(price, form('currency=usd&created[after]=5'))).toMatchObject({ code: 'parameter_unknown', param: 'created[after]' });
    expect(refusal(price, form('currency=usd&created=soon'))).toMatchObject({ message: 'Invalid integer: soon', param: 'created' });
  });
});

describe('listParams', () => {
  const list = listParams({ customer: p.optionalString() });

  it('defaults the limit to 10 and passes the filters through', () => {
    expect(parseParams(list, form('customer=cus_1'))).toEqual({ page: { limit: 10, startingAfter: undefined, endingBefore: undefined }, customer: 'cus_1' });
  });

  it('keeps limit within 1..100 and refuses both cursors', () => {
    expect(refusal(list, form('limit=0'))).toMatchObject({ message: 'Invalid limit: must be at least 1 and at most 100', param: 'limit' });
    expect(refusal(list, form('starting_after=a&ending_before=b'))).toMatchObject({ message: 'You may only specify one of these parameters: starting_after, ending_before.', param: 'ending_before' });
  });

  it('accepts expand anywhere and nothing else on a request without parameters', () => {
    expect(parseParams(noParams, form('expand[0]=x'))).toBeTruthy();
    expect(refusal(noParams, form('limit=3'))).toMatchObject({ code: 'parameter_unknown', param: 'limit' });
  });
});
