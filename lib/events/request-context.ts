import { AsyncLocalStorage } from 'node:async_hooks';

/** The API request behind a change, as a Stripe event's `request` shows it. */
export interface RequestInfo {
  /** The request's id (its `Request-Id` header); null for automatic changes. */
  id: string | null;
  /** The `Idempotency-Key` the request was sent with, if any. */
  idempotency_key: string | null;
}

const AUTOMATIC: RequestInfo = { id: null, idempotency_key: null };
const storage = new AsyncLocalStorage<RequestInfo>();

/**
 * Runs `work` on behalf of an API request: every event recorded inside it names the request.
 * Carried implicitly (like a trace id) so that no use case has to pass it down.
 */
export function onBehalfOf<T>(request: RequestInfo, work: () => Promise<T>): Promise<T> {
  return storage.run(request, work);
}

/** Runs `work` as an automatic change (a scheduled period close, a clock advance): its events name no request. */
export function automatically<T>(work: () => Promise<T>): Promise<T> {
  return storage.run(AUTOMATIC, work);
}

/** The request the current change is made for; automatic outside any request. */
export function currentRequest(): RequestInfo {
  return storage.getStore() ?? AUTOMATIC;
}
