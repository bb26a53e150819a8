import { DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, NumberValue } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** Numbers that are small integers come back as JS numbers; anything else stays exact text. */
function readNumber(text: string): number | string {
  return /^-?\d{1,15}$/.test(text) ? Number(text) : text;
}

/** A DynamoDB number written from exact decimal text. */
export function exactNumber(text: string): NumberValue {
  return NumberValue.from(text);
}

/** Capacity consumed, counted the way AWS bills it (transactional items count twice). */
export class CapacityMeter {
  writeUnits = 0;
  readUnits = 0;
  record(operation: string, consumed: ConsumedCapacity[] | ConsumedCapacity | undefined): void {
    const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
    // DynamoDB Local reports 1 unit per transactional item where AWS charges 2.
    const factor = operation.startsWith('Transact') ? 2 : 1;
    for (const c of list) {
      this.writeUnits += (c.WriteCapacityUnits ?? 0) * factor;
      this.readUnits += (c.ReadCapacityUnits ?? 0) * factor;
    }
  }
}

export interface DynamoOptions {
  endpoint?: string;
  region?: string;
  /** When set, every call asks for ConsumedCapacity and adds it to this meter. */
  capacity?: CapacityMeter;
}

/** Creates the document client once per container; numbers read back exactly. */
export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 6,
  });
  const capacity = options.capacity;
  if (capacity) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity[] | ConsumedCapacity };
        capacity.record(context.commandName ?? '', output.ConsumedCapacity);
        return result;
      },
      { step: 'initialize', name: 'meterlineCapacityMeter' },
    );
  }
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: readNumber },
  });
}

/**
 * The item a failed conditional write returned (ReturnValuesOnConditionCheckFailure), read
 * like the document client reads items. The exception carries it in wire format.
 */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return item ? unmarshall(item, { wrapNumbers: readNumber }) : undefined;
}

/** True when `error` is DynamoDB's answer to a failed condition. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
