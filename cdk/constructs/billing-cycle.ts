import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  billingJobsQueue,
  billingSchedule,
  billingWorker,
  functionEntries,
  invoiceGrace,
  mainTable,
  usageTable,
  type ConsumerDefinition,
  type QueueDefinition,
  isValidInvoiceGrace,
} from '../../lib/store/resources';
import { MeterlineFunction } from './meterline-function';
import { consumeInBatches, secureQueue, workQueue } from './queues';

export interface BillingCycleProps {
  /** The main table: the scheduler queries its byDue index, the worker reads and writes it. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table: the worker reads the aggregates it prices. */
  readonly usageTable: dynamodb.ITable;
  /**
   * Minutes between scheduler runs: a period is closed (and a draft finalized) at most this long
   * after it is due. A whole number, at least 1.
   * @default billingSchedule.defaultRateMinutes (5) from lib/store/resources.ts
   */
  readonly scheduleRateMinutes?: number;
  /**
   * How long a closed period's invoice stays draft for late usage, 0 to 72 h.
   * @default invoiceGrace.defaultSeconds (3600) from lib/store/resources.ts
   */
  readonly invoiceGraceSeconds?: number;
  /** @default billingJobsQueue from lib/store/resources.ts */
  readonly queueDefinition?: QueueDefinition;
  /** @default billingWorker from lib/store/resources.ts */
  readonly workerDefinition?: ConsumerDefinition;
}

/** Checks a schedule rate in minutes; throws when it is not a whole number of at least 1. */
export function validScheduleRateMinutes(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(`The billing schedule rate must be a whole number of minutes, at least 1; got ${minutes}`);
  }
  return minutes;
}

/** Checks an invoice grace period in seconds; throws when it is not a whole number from 0 to 72 h. */
export function validInvoiceGraceSeconds(seconds: number): number {
  if (!isValidInvoiceGrace(seconds)) {
    throw new Error(
      `The invoice grace period must be a whole number of seconds from 0 to ${invoiceGrace.maxSeconds}; got ${seconds}`,
    );
  }
  return seconds;
}

/**
 * The billing cycle: an EventBridge schedule runs the scheduler, which queues one job per
 * subscription with work due on the billing-jobs queue (with its dead-letter queue); the worker
 * drains it in batches, closing periods and finalizing drafts, and reports per-message failures
 * so that one failing subscription is retried (and eventually dead-lettered) alone.
 */
export class BillingCycle extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  /** Scheduler runs that could not be delivered or that failed, kept for inspection. */
  public readonly failedRunsQueue: sqs.Queue;
  public readonly scheduler: MeterlineFunction;
  public readonly worker: MeterlineFunction;
  public readonly rule: events.Rule;
  /** The validated schedule rate, in minutes. */
  public readonly scheduleRateMinutes: number;
  /** The validated grace period, in seconds; the api function must use the same. */
  public readonly invoiceGraceSeconds: number;

  constructor(scope: Construct, id: string, props: BillingCycleProps) {
    super(scope, id);
    const queueDefinition = props.queueDefinition ?? billingJobsQueue;
    const workerDefinition = props.workerDefinition ?? billingWorker;
    this.scheduleRateMinutes = validScheduleRateMinutes(props.scheduleRateMinutes ?? billingSchedule.defaultRateMinutes);
    this.invoiceGraceSeconds = validInvoiceGraceSeconds(props.invoiceGraceSeconds ?? invoiceGrace.defaultSeconds);

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, queueDefinition, workerDefinition, 'worker'));
    this.failedRunsQueue = secureQueue(this, 'SchedulerDeadLetter', {
      retentionPeriod: Duration.seconds(queueDefinition.deadLetterRetentionSeconds),
    });
    NagSuppressions.addResourceSuppressions(this.failedRunsQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'It is itself the dead-letter queue of the schedule target and of the scheduler function.',
      },
    ]);

    this.scheduler = new MeterlineFunction(this, 'Scheduler', {
      entry: functionEntries.billingScheduler,
      description: 'Queues a billing job for every subscription with work due',
      timeoutSeconds: billingSchedule.timeoutSeconds,
      memoryMb: billingSchedule.memoryMb,
    })
      // It only queries the byDue index; the jobs it queues do the writing.
      .useTable(props.mainTable, mainTable, 'read')
      .useQueue(this.queue, queueDefinition, 'send');
    // The composition root names every table it could use; the scheduler never touches usage,
    // so it gets the name and no access.
    this.scheduler.function.addEnvironment(usageTable.envVar, props.usageTable.tableName);
    // A failed run is not retried: the next run, one rate later, finds the same work due, and
    // a retry would overlap it. The failure is kept in the dead-letter queue for inspection.
    this.scheduler.function.configureAsyncInvoke({
      retryAttempts: 0,
      onFailure: new SqsDestination(this.failedRunsQueue),
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the billing scheduler',
      schedule: events.Schedule.rate(Duration.minutes(this.scheduleRateMinutes)),
      targets: [
        new targets.LambdaFunction(this.scheduler.function, {
          // Delivery retries (throttling, a brief outage) stop once the next run is due anyway.
          retryAttempts: 2,
          maxEventAge: Duration.minutes(this.scheduleRateMinutes),
          deadLetterQueue: this.failedRunsQueue,
        }),
      ],
    });

    this.worker = new MeterlineFunction(this, 'Worker', {
      entry: functionEntries.billingWorker,
      description: 'Closes billing periods, drafts invoices and finalizes them after the grace period',
      timeoutSeconds: workerDefinition.timeoutSeconds,
      memoryMb: workerDefinition.memoryMb,
    })
      .useTable(props.mainTable, mainTable, 'readWrite')
      .useTable(props.usageTable, usageTable, 'read')
      .useQueue(this.queue, queueDefinition, 'consume');
    this.worker.function.addEnvironment(invoiceGrace.envVar, String(this.invoiceGraceSeconds));
    consumeInBatches(this.worker.function, this.queue, workerDefinition);
  }
}
