import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localKeys } from '../store/keys';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';

/** BatchWriteItem takes 25 requests. */
const WRITES_PER_CALL = 25;
/** As long as the queue keeps a message (its retention). */
const JOURNAL_SECONDS = 14 * 86_400;

const hashOf = (body: string) => createHash('sha256').update(body).digest('hex');

/**
 * Durability for the local stack's meter-events queue. On AWS, SQS keeps a message once it
 * acknowledged it; the local SQS emulator (fauxqs 1.x; 2.x persists but needs Node 22.5) keeps
 * messages in memory only, so a hard kill would lose events the API already answered 200 for.
 * The journal closes that gap with the part that is persisted, DynamoDB Local: every message
 * body is written to it before the queue is asked to take the message, deleted once the consumer
 * has handled the message, and whatever is left is queued again at the next start. A message
 * handled twice is harmless: every event is counted once by its identifier.
 */
export class QueueJournal {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The queue whose messages are journaled. */
    private readonly queueUrl: string,
    /** Names the journal's partition (the queue definition's id), stable across starts. */
    private readonly queueId: string,
  ) {}

  /** Journals every message `sqs` sends to the queue before it is sent (an SDK middleware). */
  attach(sqs: SQSClient): void {
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { QueueUrl?: string; MessageBody?: string; Entries?: { MessageBody?: string }[] };
        if (input.QueueUrl === this.queueUrl) {
          const bodies = input.Entries ? input.Entries.map((e) => e.MessageBody ?? '') : input.MessageBody !== undefined ? [input.MessageBody] : [];
          await this.record(bodies);
        }
        return next(args);
      },
      { step: 'initialize', name: 'meterlineQueueJournal' },
    );
  }

  /** Writes the bodies to the journal. */
  async record(bodies: readonly string[]): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + JOURNAL_SECONDS;
    const puts = [...new Set(bodies)].map((body) => ({ PutRequest: { Item: { ...localKeys.journalEntry(this.queueId, hashOf(body)), body, expires_at: expiresAt } } }));
    await this.write(puts);
  }

  /** Removes handled messages from the journal. */
  async forget(bodies: readonly string[]): Promise<void> {
    await this.write([...new Set(bodies)].map((body) => ({ DeleteRequest: { Key: localKeys.journalEntry(this.queueId, hashOf(body)) } })));
  }

  /** Queues again every message the journal holds (those a previous run acknowledged but never handled); returns how many. */
  async replay(sqs: SQSClient): Promise<number> {
    let replayed = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': localKeys.journalPartition(this.queueId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      const bodies = (page.Items ?? []).map((item) => String(item.body));
      for (let i = 0; i < bodies.length; i += 10) {
        const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      }
      replayed += bodies.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return replayed;
  }

  private async write(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += WRITES_PER_CALL) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + WRITES_PER_CALL);
      for (let attempt = 0; pending?.length; attempt++) {
        if (attempt > 0) await sleep(backoffMs(BACKOFF.unprocessed, attempt));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }));
        pending = out.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }
}

