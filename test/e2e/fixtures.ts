import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { expect } from 'vitest';
import type { TestStack } from '../support/stack';

/** Factories and assertions shared by the end-to-end suites: everything goes through the SDK. */

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86_400;

/** Start of the `size`-second window that holds `t`. */
export const floorTo = (t: number, size: number) => t - (t % size);
export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A name nobody else in the stack uses (meters are unique per event_name). */
export const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Lets a test send parameters the SDK's types forbid (unknown or mistyped ones). */
export const loose = <T>(params: unknown): T => params as T;

export function customerParams(overrides: Stripe.CustomerCreateParams = {}): Stripe.CustomerCreateParams {
  return { email: `${unique('ada')}@example.com`, name: 'Ada Lovelace', ...overrides };
}

export function meterParams(overrides: Partial<Stripe.Billing.MeterCreateParams> = {}): Stripe.Billing.MeterCreateParams {
  return { display_name: 'Tokens', event_name: unique('tokens'), default_aggregation: { formula: 'sum' }, ...overrides };
}

export type Formula = 'sum' | 'count' | 'last';

/** A fresh meter with `formula` and a fresh customer. */
export async function meterAndCustomer(stripe: Stripe, formula: Formula = 'sum') {
  const [meter, customer] = await Promise.all([
    stripe.billing.meters.create(meterParams({ default_aggregation: { formula } })),
    stripe.customers.create(customerParams()),
  ]);
  return { meter, customer };
}

type MeterRef = Pick<Stripe.Billing.Meter, 'event_name'>;
type CustomerRef = Pick<Stripe.Customer, 'id'>;

/** A v1 meter event for `customer` on `meter`. */
export function v1Event(
  meter: MeterRef,
  customer: CustomerRef,
  value: string,
  overrides: Partial<Stripe.Billing.MeterEventCreateParams> = {},
): Stripe.Billing.MeterEventCreateParams {
  return { event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value }, ...overrides };
}

/** A v2 meter event (RFC 3339 timestamp) for `customer` on `meter`. */
export function v2Event(
  meter: MeterRef,
  customer: CustomerRef,
  value: string,
  overrides: Partial<Stripe.V2.Billing.MeterEventCreateParams> = {},
): Stripe.V2.Billing.MeterEventCreateParams {
  return { event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value }, ...overrides };
}

/** An SDK client authenticated with a fresh meter event session token. */
export async function streamClient(stack: TestStack, stripe: Stripe = stack.stripe): Promise<Stripe> {
  const session = await stripe.v2.billing.meterEventSession.create();
  return stack.client(session.authentication_token);
}

/** Hour-aligned bounds that hold every event a meter accepts (35 days back, 5 minutes ahead). */
export function acceptedRange(now = nowSeconds()) {
  return { start: floorTo(now - 35 * DAY, HOUR), end: floorTo(now, HOUR) + 2 * HOUR };
}

/** The single summary of a meter for a customer over `range` (default: every accepted event). */
export async function usageOf(
  stripe: Stripe,
  meter: Pick<Stripe.Billing.Meter, 'id'>,
  customer: CustomerRef,
  range = acceptedRange(),
): Promise<number> {
  const page = await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: range.start, end_time: range.end });
  expect(page.data).toHaveLength(1);
  return page.data[0]!.aggregated_value;
}

/** Waits until the consumer has processed everything sent so far. */
export async function drained(stack: TestStack): Promise<void> {
  expect(await stack.drain(20_000)).toBe(true);
}

export interface ExpectedError {
  statusCode: number;
  rawType?: string;
  code?: string;
  param?: string;
}

/** Asserts that `call` rejects with a Stripe error of this class and shape; returns the error. */
export async function expectStripeError<E extends Stripe.errors.StripeError>(
  call: Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
  expected: ExpectedError,
): Promise<E> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeInstanceOf(kind);
  expect(error).toMatchObject(expected);
  return error as E;
}

/** Asserts a 400 invalid_request_error naming `param`. */
export function expectInvalid(call: Promise<unknown>, param: string | undefined, code?: string) {
  return expectStripeError(call, Stripe.errors.StripeInvalidRequestError, {
    statusCode: 400,
    rawType: 'invalid_request_error',
    ...(param === undefined ? {} : { param }),
    ...(code === undefined ? {} : { code }),
  });
}

/** A raw HTTP call, for what the SDK cannot express (no key at all, other auth schemes). */
export async function rawRequest(
  stack: TestStack,
  method: 'GET' | 'POST',
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${stack.url}${path}`, { method, headers: options.headers, body: options.body });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
