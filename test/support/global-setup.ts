import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSqsEmulator, useLocalCredentials } from '../../lib/local/emulators';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}

/**
 * Starts DynamoDB Local and fauxqs once for the whole run, on free ports; every suite builds its
 * own stack on them under its own table and queue prefix.
 */
export default async function setup(project: TestProject) {
  useLocalCredentials();
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsEmulator();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  return async () => {
    await sqs.stop();
    await dynamo.stop();
  };
}
