import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../config';
import { createDocumentClient } from '../store/dynamo';
import type { Mode } from '../store/keys';
import { ObjectStore } from '../store/objects';

/** What a function (or a test) may pass instead of what the platform would create. */
export interface PlatformOptions {
  /** Replaces the wall clock (milliseconds); tests pass their own. */
  nowMs?: () => number;
  db?: DynamoDBDocumentClient;
  logger?: Logger;
}

/** What every function shares: its configuration, the DynamoDB client, the clock and the logger. */
export interface Platform {
  readonly config: Config;
  readonly db: DynamoDBDocumentClient;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

/** The platform of a container: clients are created once, at cold start. */
export function createPlatform(config: Config, options: PlatformOptions = {}): Platform {
  return {
    config,
    db: options.db ?? createDocumentClient({ endpoint: config.dynamoEndpoint, region: config.region }),
    nowMs: options.nowMs ?? (() => Date.now()),
    logger: options.logger ?? new Logger({ serviceName: 'meterline' }),
  };
}

/** The SQS client of a function that sends or receives messages (or the one a test passes). */
export function queueClient(config: Config, given?: SQSClient): SQSClient {
  return given ?? new SQSClient({ endpoint: config.sqsEndpoint, region: config.region });
}

/** The main table's objects of one mode: nothing read through it can belong to the other mode. */
export function objectStore(platform: Platform, mode: Mode): ObjectStore {
  return new ObjectStore(platform.db, platform.config.mainTableName, mode);
}

/** Something built once per mode (test and live are separate worlds, as in Stripe). */
export function perMode<T>(build: (mode: Mode) => T): Record<Mode, T> {
  return { test: build('test'), live: build('live') };
}

/** A function's per-mode services, looked up by mode (`deps.of(mode)` of the handlers). */
export function ofMode<T>(build: (mode: Mode) => T): (mode: Mode) => T {
  const built = perMode(build);
  return (mode) => built[mode];
}
