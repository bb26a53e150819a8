import { hasPrefix } from '../domain/ids';

/**
 * One unit of billing work, for one object in the due index: bring a subscription up to date
 * (close ended periods, finalize drafts past grace), or post a credit grant's expiry.
 */
export interface BillingJob {
  id: string;
}

/** True for the ids of objects the billing worker brings up to date. */
export const isDueWorkId = (id: string) => hasPrefix(id, 'subscription') || hasPrefix(id, 'creditGrant');

/** The SQS message body of a job. */
export function billingJobBody(job: BillingJob): string {
  return JSON.stringify({ id: job.id });
}

/** Parses a job message; throws on anything that is not a job (the message then goes to the DLQ). */
export function parseBillingJob(body: string): BillingJob {
  const value: unknown = JSON.parse(body);
  const id = (value as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || !isDueWorkId(id)) throw new Error(`Not a billing job: ${body.slice(0, 200)}`);
  return { id };
}
