import {
  DescribeStreamCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamHandler } from '../queue/event-fanout-handler';
import { LOCAL_REGION } from './emulators';
import { sleep } from '../domain/retry';

export interface StreamPollerOptions {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  handler: StreamHandler;
  /** Records per invocation, as the event source mapping's BatchSize. */
  batchSize: number;
  /**
   * As the event source mapping's filter criteria: only matching records are handed over, and a
   * batch gathers up to batchSize of them over several reads (as Lambda fills a batch). Without
   * it, each read of up to batchSize records is one batch.
   */
  filter?: (record: StreamRecord) => boolean;
  /** Pause between polls of a stream with nothing new. @default 50 */
  idleMs?: number;
  /** Told about every failed read and every failed handler invocation. */
  onError?: (error: unknown, context: string) => void;
}

type Image = Record<string, unknown>;

/** Poll cycles between two looks for new shards (about a second when idle). */
const SHARD_DISCOVERY_CYCLES = 20;

/**
 * An attribute value as it travels in JSON. The SDK reads an empty map as `{}` rather than
 * `{M: {}}` (its union has no member set); Lambda hands over the service's JSON, where it is `{M: {}}`.
 */
function wireValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return { M: {} };
  const [[type, inner]] = entries as [[string, unknown]];
  if (type === 'M') return { M: wireImage(inner as Image) };
  if (type === 'L') return { L: (inner as unknown[]).map(wireValue) };
  return { [type]: inner };
}

function wireImage(image: Image | undefined): Image | undefined {
  return image && Object.fromEntries(Object.entries(image).map(([name, value]) => [name, wireValue(value)]));
}

/** A record as Lambda hands it over (creation time in Unix seconds). */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const { dynamodb } = record;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: dynamodb && {
      ...dynamodb,
      Keys: wireImage(dynamodb.Keys as Image),
      NewImage: wireImage(dynamodb.NewImage as Image),
      OldImage: wireImage(dynamodb.OldImage as Image),
      ApproximateCreationDateTime: dynamodb.ApproximateCreationDateTime && dynamodb.ApproximateCreationDateTime.getTime() / 1000,
    },
  } as DynamoDBRecord;
}

/**
 * A local Lambda event source mapping for a DynamoDB stream: follows every shard from the
 * records written after start, hands batches to the handler in order, and retries a batch whose
 * handler threw (as Lambda does) before moving on.
 */
export class StreamPoller {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** shard id -> iterator; null once a closed shard is read to its end. */
  private readonly iterators = new Map<string, string | null>();
  /** shard id -> the sequence number of the last record read (and handed over). */
  private readonly lastRead = new Map<string, string>();
  private busy = false;
  private cycles = 0;
  private lastCycleFound = 0;
  /** Reads DynamoDB Local refused with TrimmedDataAccessException for a valid iterator, each followed by a reread from the shard's start. */
  trimRecoveries = 0;
  /** Handler invocations that threw (their batch is handed over again). */
  failures = 0;
  /** Handler invocations that succeeded, the records they were handed, and the time they took (ms): what a bench prices. */
  invocations = 0;
  handed = 0;
  handlerMs = 0;

  constructor(private readonly options: StreamPollerOptions) {}

  async start(): Promise<void> {
    if (this.running) return;
    // Shards that exist now are read from their end: only what is written from now on is new.
    await this.discoverShards('LATEST');
    this.running = true;
    this.loop = this.run();
  }

  private async discoverShards(position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    const { streams, streamArn } = this.options;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }));
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.iterators.has(shard.ShardId)) continue;
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: position }),
        );
        this.iterators.set(shard.ShardId, ShardIterator ?? null);
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let found = 0;
      try {
        // Shards that appear later (DynamoDB rolls them over) are read from their start; looking
        // for them once a second is plenty (a new shard's records wait there until read).
        if (this.cycles % SHARD_DISCOVERY_CYCLES === 0) await this.discoverShards('TRIM_HORIZON');
        for (const [shardId, iterator] of this.iterators) {
          if (iterator) found += await this.pollShard(shardId, iterator);
        }
      } catch (error) {
        // An emulator hiccup, or an iterator that expired: read on from the last record handed over.
        // DynamoDB Local's spurious trims are routine (see renewIterators) and not reported.
        const trimmed = (error as Error).name === 'TrimmedDataAccessException';
        if (trimmed) this.trimRecoveries++;
        else this.options.onError?.(error, 'reading the stream');
        await this.renewIterators(trimmed).catch((renewError: unknown) => this.options.onError?.(renewError, 'renewing stream iterators'));
      }
      this.lastCycleFound = found;
      this.cycles++;
      if (found === 0) await sleep(this.options.idleMs ?? 50);
    }
  }

  /**
   * New iterators for the open shards, just after the last record handed over. DynamoDB Local
   * now and then answers TrimmedDataAccessException for an iterator that was valid: those shards
   * are read again from their oldest record, skipping what was already handed over (by sequence
   * number), so nothing is lost and nothing is handed over twice.
   */
  private async renewIterators(trimmed: boolean): Promise<void> {
    const { streams, streamArn } = this.options;
    for (const [shardId, iterator] of this.iterators) {
      if (iterator === null) continue;
      const last = this.lastRead.get(shardId);
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand(
          last && !trimmed
            ? { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: last }
            : { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' },
        ),
      );
      this.iterators.set(shardId, ShardIterator ?? null);
    }
  }

  /** Reads a batch from a shard and hands it to the handler until it succeeds; returns the records read. */
  private async pollShard(shardId: string, iterator: string): Promise<number> {
    const { streams, streamArn, handler, batchSize, filter } = this.options;
    const handedOver = this.lastRead.get(shardId);
    const batch: StreamRecord[] = [];
    let read = 0;
    let last: string | undefined;
    let next: string | undefined = iterator;
    do {
      const out: GetRecordsCommandOutput = await streams.send(new GetRecordsCommand({ ShardIterator: next, Limit: filter ? batchSize - batch.length : batchSize }));
      const page: StreamRecord[] = out.Records ?? [];
      read += page.length;
      const fresh = page.filter((r) => !handedOver || BigInt(r.dynamodb?.SequenceNumber ?? '0') > BigInt(handedOver));
      batch.push(...(filter ? fresh.filter(filter) : fresh));
      last = page.at(-1)?.dynamodb?.SequenceNumber ?? last;
      next = out.NextShardIterator;
      if (page.length === 0) break;
    } while (filter && next && batch.length < batchSize);
    if (batch.length > 0) {
      const event: DynamoDBStreamEvent = { Records: batch.map((r) => toLambdaRecord(r, streamArn)) };
      this.busy = true;
      try {
        // As Lambda: a batch whose handler threw is handed over again; the shard waits meanwhile.
        for (;;) {
          try {
            const t0 = performance.now();
            await handler(event);
            this.handlerMs += performance.now() - t0;
            this.invocations++;
            this.handed += batch.length;
            break;
          } catch (error) {
            this.failures++;
            this.options.onError?.(error, 'the stream handler');
            if (!this.running) throw error;
            await sleep(200);
          }
        }
      } finally {
        this.busy = false;
      }
    }
    if (last && (!handedOver || BigInt(last) > BigInt(handedOver))) this.lastRead.set(shardId, last);
    this.iterators.set(shardId, next ?? null);
    return read;
  }

  /** Goes on reading where stop() left off (a bench pauses the rollup while it times the hot path). */
  resume(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** True once a whole poll cycle, started after this call, found nothing new and no batch is being handled. */
  async idle(): Promise<boolean> {
    const start = this.cycles;
    // The cycle running now may have started before the call: wait for the one after it.
    while (this.running && this.cycles < start + 2) await sleep(10);
    return !this.busy && this.lastCycleFound === 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
