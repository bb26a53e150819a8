import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

export interface DynamoOptions {
  endpoint?: string;
  region?: string;
}

/** Creates the document client once per container; numbers read back exactly. */
export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 6,
  });
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
