/**
 * The one definition of Meterline's tables and queues. The CDK stack (cdk/constructs) and the
 * local bootstrap (lib/local) both build their resources from these objects, so the two can
 * never drift apart.
 */

export interface IndexDefinition {
  /** Index name, named after the query it serves. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** What the index copies: every attribute (default) or only the keys (an item is then written once, not once per index). */
  readonly projection?: 'all' | 'keys';
}

export interface TableDefinition {
  /** Logical id in the CDK stack and base name of the local table. */
  readonly id: string;
  /** Environment variable that carries the physical table name to the functions. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Attribute holding an expiry in Unix seconds; DynamoDB TTL deletes the item after it. */
  readonly ttlAttribute: string;
  readonly indexes: readonly IndexDefinition[];
  /**
   * A DynamoDB stream: of new item images (the event fan-out reads the events it carries), or of
   * new and old images (the usage rollup reads each hourly total before and after).
   */
  readonly stream?: 'new_image' | 'new_and_old_images';
}

export interface QueueDefinition {
  readonly id: string;
  readonly envVar: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly deadLetterRetentionSeconds: number;
}

export interface ConsumerDefinition {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Messages per invocation (each message carries up to 100 meter events). */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
}

/** Customers, meters, keys, idempotency records, sessions, error reports: everything but usage. */
export const mainTable: TableDefinition = {
  id: 'MainTable',
  envVar: 'METERLINE_MAIN_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  indexes: [
    // Every object of one kind, newest first (GET /v1/customers, /v1/billing/meters).
    { name: 'byKind', partitionKey: 'kind_pk', sortKey: 'kind_sk', projection: 'keys' },
    // Objects of one kind with one filter value, newest first (meters by status).
    { name: 'byFilter', partitionKey: 'filter_pk', sortKey: 'filter_sk', projection: 'keys' },
    // Objects of one kind that belong to one owner, newest first (invoices of a customer).
    { name: 'byOwner', partitionKey: 'owner_pk', sortKey: 'owner_sk', projection: 'keys' },
    // Subscriptions with billing work due, soonest first, per clock (the scheduler's query).
    { name: 'byDue', partitionKey: 'due_pk', sortKey: 'due_sk', projection: 'keys' },
    // Subscriptions and invoices of one test clock, newest first (a clock's page); test mode only, sparse.
    { name: 'byClock', partitionKey: 'clock_pk', sortKey: 'clock_sk', projection: 'keys' },
  ],
  // Every event is written in the transaction of its change; the stream hands it to the fan-out (an outbox).
  stream: 'new_image',
};

/** The hot path: meter event claims, apply markers and usage aggregates. */
export const usageTable: TableDefinition = {
  id: 'UsageTable',
  envVar: 'METERLINE_USAGE_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  indexes: [],
  // The usage rollup follows the changes of hourly totals (before and after) off the hot path.
  stream: 'new_and_old_images',
};

export const tables = [mainTable, usageTable] as const;

/** The meter-events consumer Lambda: its timeout fixes the queue's visibility timeout. */
export const meterConsumer: ConsumerDefinition = {
  timeoutSeconds: 30,
  memoryMb: 512,
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
};

/** AWS asks for a visibility timeout of at least 6x the consumer's timeout, so a slow batch is not delivered twice. */
export const visibilityTimeoutFor = (consumerTimeoutSeconds: number) => 6 * consumerTimeoutSeconds;

/** A work queue drained by `consumer`: kept 4 days, dead-lettered after 5 receives, dead letters kept 14 days. */
function workQueue(id: string, envVar: string, consumer: ConsumerDefinition): QueueDefinition {
  return {
    id,
    envVar,
    visibilityTimeoutSeconds: visibilityTimeoutFor(consumer.timeoutSeconds),
    retentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: 5,
    deadLetterRetentionSeconds: 14 * 24 * 3600,
  };
}

export const meterEventsQueue = workQueue('MeterEventsQueue', 'METERLINE_METER_EVENTS_QUEUE_URL', meterConsumer);

/** The api function: it runs test clock advances in the request, so it gets HTTP API's whole 30 s. */
export const apiFunction = {
  timeoutSeconds: 29,
  memoryMb: 512,
} as const;

/** The billing worker Lambda: closes periods, finalizes invoices (spending credits) and posts credit expiries, one job per due object. */
export const billingWorker: ConsumerDefinition = {
  timeoutSeconds: 60,
  memoryMb: 512,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
};

export const billingJobsQueue = workQueue('BillingJobsQueue', 'METERLINE_BILLING_JOBS_QUEUE_URL', billingWorker);

/** The EventBridge schedule that invokes the billing scheduler. */
export const billingSchedule = {
  /** Minutes between runs; a period is closed at most this long after it ends. */
  defaultRateMinutes: 5,
  timeoutSeconds: 60,
  memoryMb: 256,
} as const;

/** Grace period of a closed period's draft invoice, for late usage (Stripe's default: 1 h). */
export const invoiceGrace = {
  envVar: 'METERLINE_INVOICE_GRACE_SECONDS',
  defaultSeconds: 3600,
  maxSeconds: 72 * 3600,
} as const;

/** True for a grace period Meterline accepts: whole seconds from 0 to 72 h. */
export function isValidInvoiceGrace(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= invoiceGrace.maxSeconds;
}

/**
 * The webhook dispatcher Lambda: signs and POSTs one event to one endpoint per message. Its
 * timeout covers a batch of deliveries that each wait up to `webhookDelivery.timeoutMs`.
 */
export const webhookDispatcher: ConsumerDefinition = {
  timeoutSeconds: 60,
  memoryMb: 256,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
};

/** One message per (event, endpoint) delivery attempt; a failed attempt queues the next one with a delay. */
export const webhookDeliveriesQueue = workQueue('WebhookDeliveriesQueue', 'METERLINE_WEBHOOK_DELIVERIES_QUEUE_URL', webhookDispatcher);

/** How deliveries are retried (Stripe: exponential backoff, for up to 3 days). */
export const webhookDelivery = {
  /** A receiver that has not answered by then counts as failed. */
  timeoutMs: 10_000,
  /** Delay before the first retry; each later retry waits twice as long as the one before. */
  firstRetrySeconds: 30,
  /** Longest wait between two attempts. */
  maxRetryDelaySeconds: 6 * 3600,
  /** No attempt is made later than this after the event. */
  giveUpAfterSeconds: 3 * 86_400,
  /** Overrides firstRetrySeconds (tests use 1 s). */
  firstRetryEnvVar: 'METERLINE_WEBHOOK_FIRST_RETRY_SECONDS',
} as const;

/**
 * The event fan-out Lambda, fed by the main table's stream: publishes every new event to the
 * event bus and queues one delivery per subscribed webhook endpoint.
 */
export const eventFanout = {
  timeoutSeconds: 60,
  memoryMb: 256,
  /** Stream records per invocation. */
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
} as const;

/**
 * The usage rollup Lambda, fed by the usage table's stream (only hourly usage items pass its
 * filter): keeps usage across customers for the console's charts. A longer batching window
 * folds more changes of one hour item into one write.
 */
export const usageRollup = {
  timeoutSeconds: 60,
  memoryMb: 256,
  batchSize: 1000,
  maxBatchingWindowSeconds: 5,
} as const;

/** The custom EventBridge bus every event is published to (detail-type = the event type). */
export const eventBus = {
  envVar: 'METERLINE_EVENT_BUS_NAME',
  /** The `source` of every entry Meterline puts on the bus. */
  source: 'meterline',
} as const;

export const queues = [meterEventsQueue, billingJobsQueue, webhookDeliveriesQueue] as const;

/** Lambda entry points, relative to the project root; each exports `handler`. */
export const functionEntries = {
  api: 'functions/http/api.ts',
  ingest: 'functions/http/ingest.ts',
  meterConsumer: 'functions/queue/meter-consumer.ts',
  billingScheduler: 'functions/schedule/billing-scheduler.ts',
  billingWorker: 'functions/queue/billing-worker.ts',
  webhookDispatcher: 'functions/queue/webhook-dispatcher.ts',
  eventFanout: 'functions/stream/event-fanout.ts',
  usageRollup: 'functions/stream/usage-rollup.ts',
  invoicePage: 'functions/http/invoice-page.ts',
  invoicePdf: 'functions/http/invoice-pdf.ts',
} as const;

/** The invoice PDF Lambda: renders on request (fonts are read once per container, the CPU scales with memory). */
export const invoicePdfFunction = {
  timeoutSeconds: 15,
  memoryMb: 1024,
  /** Where the fonts are copied next to the handler (`METERLINE_FONTS_DIR`). */
  fontsDir: '/var/task/fonts',
  /** The font files, relative to the repository root: the only function bundle that carries them. */
  fontFiles: [
    'node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
    'node_modules/@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
    'node_modules/@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf',
  ],
} as const;

/** Routes served by the ingest function; every other route goes to the api function. */
export const ingestRoutes = [
  'POST /v1/billing/meter_events',
  'POST /v2/billing/meter_event_session',
  'POST /v2/billing/meter_event_stream',
  'POST /v2/billing/meter_events',
  'POST /v1/billing/meter_event_adjustments',
  'POST /v2/billing/meter_event_adjustments',
] as const;
