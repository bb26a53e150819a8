import {
  billingJobsQueue,
  eventBus,
  invoiceGrace,
  isValidInvoiceGrace,
  mainTable,
  meterConsumer,
  meterEventsQueue,
  usageTable,
  webhookDeliveriesQueue,
  webhookDelivery,
} from './store/resources';

/** Everything a function needs to know about its environment, read once at cold start. */
export interface Config {
  mainTableName: string;
  usageTableName: string;
  /** Absent in the api function, which queues nothing. */
  meterEventsQueueUrl?: string;
  /** Set for local emulators and LocalStack; AWS_ENDPOINT_URL is honoured by the SDK as well. */
  dynamoEndpoint?: string;
  sqsEndpoint?: string;
  region?: string;
  /** How long the consumer may run; claims younger than this may still be in flight. */
  consumerTimeoutMs: number;
  /** Where the billing scheduler puts one job per due subscription; absent where nothing queues jobs. */
  billingJobsQueueUrl?: string;
  /** How long a closed period's invoice stays draft for late usage (default 1 h, at most 72 h). */
  invoiceGraceSeconds: number;
  /** The EventBridge bus every event is published to; absent where there is none (the local stack). */
  eventBusName?: string;
  /** Where webhook deliveries are queued (by the event fan-out) and retried (by the dispatcher); absent elsewhere. */
  webhookDeliveriesQueueUrl?: string;
  /** Wait before the first retry of a failed webhook delivery (default 30 s, 1 to 60). */
  webhookFirstRetrySeconds: number;
  /**
   * Test mode webhook endpoints may point at any address, localhost included: only the local
   * stack, which delivers to receivers on the developer's machine. Deployed, every endpoint must
   * be publicly reachable (a private address could only reach the function's own sandbox).
   */
  webhookPrivateTestUrls: boolean;
  /** The business that sends the invoices: shown on every hosted invoice page and PDF. */
  seller: Seller;
  /** Where the stack is reached from outside (the console's origin on AWS): hosted invoice URLs start with it. */
  publicUrl: string;
}

/** The seller's details, configured per stack (Stripe's account name, country and branding). */
export interface Seller {
  name: string;
  /** ISO 3166-1 alpha-2 (`account_country`). */
  country: string;
  /** Postal address, a line each. */
  address: string[];
  supportEmail: string | null;
  /** Printed at the foot of every invoice unless the customer's `invoice_settings[footer]` replaces it. */
  footer: string | null;
}

/** The environment variables that configure the seller and the public URL (the CDK stack sets them from context). */
export const sellerEnv = {
  name: 'METERLINE_SELLER_NAME',
  country: 'METERLINE_SELLER_COUNTRY',
  address: 'METERLINE_SELLER_ADDRESS',
  supportEmail: 'METERLINE_SUPPORT_EMAIL',
  footer: 'METERLINE_INVOICE_FOOTER',
  publicUrl: 'METERLINE_PUBLIC_URL',
} as const;

/** The seller from the environment: address lines are separated by `|` or newlines. */
export function sellerOf(env: NodeJS.ProcessEnv): Seller {
  const country = (env[sellerEnv.country] || 'US').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw new Error(`${sellerEnv.country} must be a two-letter country code, got '${env[sellerEnv.country]}'.`);
  return {
    name: env[sellerEnv.name] || 'Meterline',
    country,
    address: (env[sellerEnv.address] ?? '').split(/\||\n/).map((line) => line.trim()).filter(Boolean),
    supportEmail: env[sellerEnv.supportEmail] || null,
    footer: env[sellerEnv.footer] || null,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}: the stack sets it on every function.`);
  return value;
}

/** The invoice grace period from METERLINE_INVOICE_GRACE_SECONDS (default 1 h); throws when out of range. */
export function graceSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env[invoiceGrace.envVar];
  if (raw === undefined || raw === '') return invoiceGrace.defaultSeconds;
  const seconds = Number(raw);
  if (!isValidInvoiceGrace(seconds)) {
    throw new Error(`${invoiceGrace.envVar} must be a whole number of seconds from 0 to ${invoiceGrace.maxSeconds}, got '${raw}'.`);
  }
  return seconds;
}

/** The largest first retry delay: Stripe retries a failed delivery within a minute. */
export const MAX_WEBHOOK_FIRST_RETRY_SECONDS = 60;

/** The first webhook retry delay from METERLINE_WEBHOOK_FIRST_RETRY_SECONDS (default 30 s); throws when out of range. */
export function webhookFirstRetrySeconds(env: NodeJS.ProcessEnv): number {
  const raw = env[webhookDelivery.firstRetryEnvVar];
  if (raw === undefined || raw === '') return webhookDelivery.firstRetrySeconds;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WEBHOOK_FIRST_RETRY_SECONDS) {
    throw new Error(`${webhookDelivery.firstRetryEnvVar} must be a whole number of seconds from 1 to ${MAX_WEBHOOK_FIRST_RETRY_SECONDS}, got '${raw}'.`);
  }
  return seconds;
}

/**
 * Reads the configuration from environment variables and fails loudly when one is missing.
 * Functions that put on or take from the meter-events queue need its URL; the billing scheduler
 * needs the billing-jobs queue's (`billingJobs`); the webhook dispatcher the deliveries queue's (`webhooks`).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  needs: { queue: boolean; billingJobs?: boolean; webhooks?: boolean } = { queue: true },
): Config {
  return {
    mainTableName: required(env, mainTable.envVar),
    usageTableName: required(env, usageTable.envVar),
    meterEventsQueueUrl: needs.queue ? required(env, meterEventsQueue.envVar) : env[meterEventsQueue.envVar],
    dynamoEndpoint: env.METERLINE_DYNAMODB_ENDPOINT,
    sqsEndpoint: env.METERLINE_SQS_ENDPOINT,
    region: env.AWS_REGION,
    consumerTimeoutMs: meterConsumer.timeoutSeconds * 1000,
    billingJobsQueueUrl: needs.billingJobs ? required(env, billingJobsQueue.envVar) : env[billingJobsQueue.envVar],
    invoiceGraceSeconds: graceSeconds(env),
    eventBusName: env[eventBus.envVar] || undefined,
    webhookDeliveriesQueueUrl: needs.webhooks ? required(env, webhookDeliveriesQueue.envVar) : env[webhookDeliveriesQueue.envVar],
    webhookFirstRetrySeconds: webhookFirstRetrySeconds(env),
    webhookPrivateTestUrls: false,
    seller: sellerOf(env),
    publicUrl: (env[sellerEnv.publicUrl] ?? '').replace(/\/$/, ''),
  };
}
