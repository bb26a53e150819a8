import { hasPrefix } from '../domain/ids';

/**
 * One unit of billing work, for one object in the due index: bring a subscription up to date
 * (close ended periods, finalize drafts past grace), or post a credit grant's expiry.
 */
export interface BillingJob {
  id: string;
  /** The object's mode: the worker works it with that mode's store. */
  livemode: boolean;
}

/** The kind of object an id in the due index names (by its prefix), or undefined for anything else. */
export function dueKind(id: string): 'subscription' | 'credit_grant' | undefined {
  if (hasPrefix(id, 'subscription')) return 'subscription';
  if (hasPrefix(id, 'creditGrant')) return 'credit_grant';
  return undefined;
}

/** The SQS message body of a job. */
export function billingJobBody(job: BillingJob): string {
  return JSON.stringify({ id: job.id, livemode: job.livemode });
}

/** Parses a job message; throws on anything that is not a job (the message then goes to the DLQ). */
export function parseBillingJob(body: string): BillingJob {
  const value: unknown = JSON.parse(body);
  const { id, livemode } = (value ?? {}) as { id?: unknown; livemode?: unknown };
  if (typeof id !== 'string' || !dueKind(id) || typeof livemode !== 'boolean') throw new Error(`Not a billing job: ${body.slice(0, 200)}`);
  return { id, livemode };
}
