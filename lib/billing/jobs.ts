import { hasPrefix } from '../domain/ids';

/** One unit of billing work: bring one subscription up to date (close ended periods, finalize drafts past grace). */
export interface BillingJob {
  subscription: string;
}

/** The SQS message body of a job. */
export function billingJobBody(job: BillingJob): string {
  return JSON.stringify({ subscription: job.subscription });
}

/** Parses a job message; throws on anything that is not a job (the message then goes to the DLQ). */
export function parseBillingJob(body: string): BillingJob {
  const value: unknown = JSON.parse(body);
  const subscription = (value as { subscription?: unknown } | null)?.subscription;
  if (typeof subscription !== 'string' || !hasPrefix(subscription, 'subscription')) {
    throw new Error(`Not a billing job: ${body.slice(0, 200)}`);
  }
  return { subscription };
}
