import { readdirSync, readFileSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bump, countCalls, Tally, type CallInput } from './tally';

/**
 * Counters the bench installs on the stack's own SDK clients (as middleware),
 * so that every call the handlers and the poller make is seen, including failed ones.
 */

const CHUNK_BYTES = 64 * 1024;

/** DynamoDB calls by what they do on the hot path, with units by AWS's rules. */
export interface DynamoTally {
  /** Successful claims (PartiQL INSERT of EVENT#<identifier>, 25 per BatchExecuteStatement). */
  claims: number;
  claimUnits: number;
  /** Claim puts whose condition failed: the identifier was claimed before (duplicates). */
  claimConflicts: number;
  /** Units the failed claim puts consumed, when DynamoDB Local reported them. */
  claimConflictUnitsReported: number;
  /** Apply transactions (one marker Put + hourly usage Updates each). */
  applyTransactions: number;
  applyMarkers: number;
  applyUpdates: number;
  /**
   * Updates per hourly usage item (`pk|sk`): an update costs by the size of the item after it,
   * at most its final size (the items only grow during a run), which the bench reads back.
   */
  applyUpdatesByItem: Record<string, number>;
  /** By AWS's rule: 2 units per transactional item of up to 1 KB (the items here are smaller). */
  applyUnits: number;
  /** What DynamoDB Local reported (x2), for comparison: it does not count per item. */
  applyUnitsReported: number;
  applyFailures: Record<string, number>;
  /** Reads of apply markers for conflicting claims (BatchGet, strongly consistent). */
  markerReads: number;
  markerReadUnits: number;
  /**
   * The consumer's consistent reads of hourly usage items before claiming events of a meter with
   * dimensions (the bound on combinations per hour, lib/metering/combination-limit.ts).
   */
  combinationReads: number;
  combinationReadUnits: number;
  /** Usage rollup transactions (off the hot path: customer days, meter hours and days; Updates only). */
  rollupTransactions: number;
  rollupItems: number;
  rollupFailures: Record<string, number>;
  /** Consistent re-reads of customer days after a failed condition. */
  rollupReadUnits: number;
  /** Everything else: directory lookups, session checks, summaries, error reports... */
  otherCalls: Record<string, number>;
  otherWriteUnits: number;
  otherReadUnits: number;
  errors: Record<string, number>;
  /** Sum of call latencies (ms) by part: where the consumer waits. */
  ms: { claims: number; apply: number; markerReads: number; combinationReads: number; rollup: number; other: number };
}

const emptyDynamoTally = (): DynamoTally => ({
  claims: 0,
  claimUnits: 0,
  claimConflicts: 0,
  claimConflictUnitsReported: 0,
  applyTransactions: 0,
  applyMarkers: 0,
  applyUpdates: 0,
  applyUpdatesByItem: {},
  applyUnits: 0,
  applyUnitsReported: 0,
  applyFailures: {},
  markerReads: 0,
  markerReadUnits: 0,
  combinationReads: 0,
  combinationReadUnits: 0,
  rollupTransactions: 0,
  rollupItems: 0,
  rollupFailures: {},
  rollupReadUnits: 0,
  otherCalls: {},
  otherWriteUnits: 0,
  otherReadUnits: 0,
  errors: {},
  ms: { claims: 0, apply: 0, markerReads: 0, combinationReads: 0, rollup: 0, other: 0 },
});

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement']);

/**
 * Units of one call by AWS's rules. DynamoDB Local answers ReturnConsumedCapacity=TOTAL with
 * `CapacityUnits` only (no WriteCapacityUnits/ReadCapacityUnits), so the total is attributed
 * by operation; and it reports 1 unit per transactional item where AWS charges 2.
 */
export function units(operation: string, consumed: ConsumedCapacity[] | ConsumedCapacity | undefined): { write: number; read: number } {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  const factor = operation.startsWith('Transact') ? 2 : 1;
  let write = 0;
  let read = 0;
  for (const c of list) {
    if (c.WriteCapacityUnits !== undefined || c.ReadCapacityUnits !== undefined) {
      write += (c.WriteCapacityUnits ?? 0) * factor;
      read += (c.ReadCapacityUnits ?? 0) * factor;
    } else if (WRITE_OPERATIONS.has(operation)) write += (c.CapacityUnits ?? 0) * factor;
    else read += (c.CapacityUnits ?? 0) * factor;
  }
  return { write, read };
}

/** Where a DynamoDB call belongs on the hot path (the keys of DynamoTally.ms). */
type Part = keyof DynamoTally['ms'];

function partOf(operation: string, input: CallInput): Part {
  if (operation === 'BatchExecuteStatement' && isClaimInsert(input)) return 'claims';
  if (operation === 'PutItem' && String(input.Item?.pk ?? '').startsWith('EVENT#')) return 'claims';
  if (operation === 'TransactWriteItems' && isApply(input)) return 'apply';
  if (operation === 'BatchGetItem' && isMarkerRead(input)) return 'markerReads';
  if (operation === 'BatchGetItem' && isCombinationRead(input)) return 'combinationReads';
  if ((operation === 'TransactWriteItems' || operation === 'BatchGetItem') && isRollup(input)) return 'rollup';
  return 'other';
}

export class DynamoCounter extends Tally<DynamoTally> {
  constructor() {
    super(emptyDynamoTally);
  }

  install(db: DynamoDBDocumentClient): void {
    countCalls(
      db,
      'benchDynamoCounter',
      {
        start: (operation, input) => ({ t: this.tally, t0: performance.now(), part: partOf(operation, input) }),
        ok: (operation, input, output, { t, t0, part }) => {
          const u = units(operation, output.ConsumedCapacity as ConsumedCapacity[] | ConsumedCapacity | undefined);
          switch (part) {
            case 'claims':
              if (operation === 'BatchExecuteStatement') {
                // PartiQL INSERTs (the claims): DynamoDB Local reports no capacity for them;
                // each claim item is under 1 KB, so 1 unit per statement, written or refused.
                for (const r of (output.Responses ?? []) as { Error?: { Code?: string } }[]) {
                  if (!r.Error) {
                    t.claims++;
                    t.claimUnits += 1;
                  } else if (r.Error.Code === 'DuplicateItem' || r.Error.Code === 'ConditionalCheckFailed') t.claimConflicts++;
                  else bump(t.errors, `BatchExecuteStatement:${r.Error.Code}`);
                }
              } else {
                t.claims++;
                t.claimUnits += u.write;
              }
              break;
            case 'apply': {
              const items = input.TransactItems as Record<string, unknown>[];
              t.applyTransactions++;
              t.applyMarkers += items.filter((i) => i.Put).length;
              t.applyUpdates += items.filter((i) => i.Update).length;
              for (const i of items) {
                const key = (i.Update as { Key?: { pk?: unknown; sk?: unknown } } | undefined)?.Key;
                if (key) bump(t.applyUpdatesByItem, `${String(key.pk)}|${String(key.sk)}`);
              }
              t.applyUnits += 2 * items.length;
              t.applyUnitsReported += u.write;
              break;
            }
            case 'markerReads':
              t.markerReads += Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((n, r) => n + r.Keys.length, 0);
              t.markerReadUnits += u.read;
              break;
            case 'combinationReads':
              t.combinationReads += Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>).reduce((n, r) => n + r.Keys.length, 0);
              t.combinationReadUnits += u.read;
              break;
            case 'rollup':
              if (operation === 'TransactWriteItems') {
                t.rollupTransactions++;
                t.rollupItems += (input.TransactItems as unknown[]).length;
              } else t.rollupReadUnits += u.read;
              break;
            case 'other':
              bump(t.otherCalls, operation);
              t.otherWriteUnits += u.write;
              t.otherReadUnits += u.read;
          }
          t.ms[part] += performance.now() - t0;
        },
        failed: (operation, _input, error, { t, t0, part }) => {
          const name = (error as Error)?.name ?? 'Error';
          if (part === 'claims' && operation === 'PutItem' && name === 'ConditionalCheckFailedException') {
            t.claimConflicts++;
            t.claimConflictUnitsReported += units(operation, (error as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity).write;
          } else if (part === 'apply') {
            const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? '?');
            bump(t.applyFailures, `${name}(${[...new Set(reasons)].join(',')})`);
          } else if (part === 'rollup') {
            const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? '?');
            bump(t.rollupFailures, `${name}(${[...new Set(reasons)].join(',')})`);
          } else bump(t.errors, `${operation}:${name}`);
          t.ms[part] += performance.now() - t0;
        },
      },
      { consumedCapacity: true },
    );
  }
}

function isApply(input: Record<string, any>): boolean {
  const items = (input.TransactItems ?? []) as Record<string, any>[];
  return items.some((i) => String(i.Put?.Item?.pk ?? '').startsWith('APPLIED#'));
}

/** A usage rollup transaction or re-read (every key under ROLLUP#). */
function isRollup(input: Record<string, any>): boolean {
  const keys = [
    ...((input.TransactItems ?? []) as Record<string, any>[]).map((i) => i.Update?.Key),
    ...Object.values((input.RequestItems ?? {}) as Record<string, { Keys: Record<string, unknown>[] }>).flatMap((r) => r.Keys),
  ];
  return keys.length > 0 && keys.every((k) => String(k?.pk ?? '').startsWith('ROLLUP#'));
}

function isClaimInsert(input: Record<string, any>): boolean {
  const statements = (input.Statements ?? []) as { Statement?: string; Parameters?: unknown[] }[];
  return statements.some((st) => /^\s*INSERT/i.test(st.Statement ?? '') && String(st.Parameters?.[0] ?? '').startsWith('EVENT#'));
}

/** A consistent batch read of hourly usage items (every key under USAGE#): the consumer's check of the bound on combinations. */
function isCombinationRead(input: Record<string, any>): boolean {
  const keys = Object.values((input.RequestItems ?? {}) as Record<string, { Keys: { pk?: string }[] }>).flatMap((r) => r.Keys);
  return keys.length > 0 && keys.every((k) => String(k.pk ?? '').startsWith('USAGE#'));
}

function isMarkerRead(input: Record<string, any>): boolean {
  return Object.values((input.RequestItems ?? {}) as Record<string, { Keys: { pk?: string }[] }>).some((r) =>
    r.Keys.some((k) => String(k.pk ?? '').startsWith('APPLIED#')),
  );
}

/** SQS calls with their 64 KB billing chunks. */
export interface SqsTally {
  calls: Record<string, number>;
  /** Billed requests: each call counts once per started 64 KB of payload. */
  billed: Record<string, number>;
  bytes: Record<string, number>;
  messages: Record<string, number>;
  /** ReceiveMessage calls that returned nothing (long polls that timed out or raced). */
  emptyReceives: number;
  errors: Record<string, number>;
}

const emptySqsTally = (): SqsTally => ({ calls: {}, billed: {}, bytes: {}, messages: {}, emptyReceives: 0, errors: {} });

export class SqsCounter extends Tally<SqsTally> {
  constructor() {
    super(emptySqsTally);
  }

  install(sqs: SQSClient): void {
    countCalls(sqs, 'benchSqsCounter', {
      ok: (operation, input, output) => {
        let bytes = 0;
        let messages = 0;
        if (operation === 'SendMessageBatch') {
          for (const e of input.Entries ?? []) bytes += Buffer.byteLength(String(e.MessageBody ?? ''));
          messages = (input.Entries ?? []).length;
        } else if (operation === 'SendMessage') {
          bytes = Buffer.byteLength(String(input.MessageBody ?? ''));
          messages = 1;
        } else if (operation === 'ReceiveMessage') {
          for (const m of output.Messages ?? []) bytes += Buffer.byteLength(String(m.Body ?? ''));
          messages = (output.Messages ?? []).length;
          if (messages === 0) this.tally.emptyReceives++;
        } else if (operation === 'DeleteMessageBatch') {
          messages = (input.Entries ?? []).length;
        }
        const t = this.tally;
        bump(t.calls, operation);
        bump(t.billed, operation, Math.max(1, Math.ceil(bytes / CHUNK_BYTES)));
        bump(t.bytes, operation, bytes);
        bump(t.messages, operation, messages);
      },
      failed: (operation, _input, error) => {
        bump(this.tally.errors, `${operation}:${(error as Error)?.name}`);
      },
    });
  }
}

/** SQS requests AWS would bill: all but GetQueueAttributes, the local drain() polling (no event source mapping does this). */
export const billedSqsRequests = (t: SqsTally) =>
  Object.entries(t.billed)
    .filter(([op]) => op !== 'GetQueueAttributes')
    .reduce((n, [, v]) => n + v, 0);

/** Wall time of handler invocations (what Lambda bills as duration, rounded up to 1 ms). */
export class InvocationTimer {
  count = 0;
  totalMs = 0;
  billedMs = 0;
  maxMs = 0;
  active = true;

  add(ms: number): void {
    if (!this.active) return;
    this.count++;
    this.totalMs += ms;
    this.billedMs += Math.max(1, Math.ceil(ms));
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset(): void {
    this.count = this.totalMs = this.billedMs = this.maxMs = 0;
  }
}

/**
 * Times the gateway's requests for one route from the server side (headers parsed to response
 * finished) through Node's http diagnostics channels: the ingest Lambda's duration.
 */
export function timeServerRequests(timer: InvocationTimer, method: string, path: string): void {
  const started = new WeakMap<ServerResponse, number>();
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.method === method && request.url?.split('?')[0] === path) started.set(response, performance.now());
  });
  subscribe('http.server.response.finish', (message) => {
    const { response } = message as { response: ServerResponse };
    const t0 = started.get(response);
    if (t0 !== undefined) {
      started.delete(response);
      timer.add(performance.now() - t0);
    }
  });
}

/** Resident set size of a process, from /proc (Linux): current and peak, in MB. */
export function procRss(pid: number | 'self'): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function procCpuSeconds(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine so far (all processes), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + (fields[7] ?? 0);
    return busy / 100;
  } catch {
    return NaN;
  }
}

/** Child processes of this one named `comm` (DynamoDB Local is a `java` child). */
export function childPids(comm: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === process.pid && name === comm) found.push(Number(entry));
    } catch {
      // The process went away.
    }
  }
  return found;
}

/** Samples the RSS of this process (and optionally others) every `intervalMs`. */
export class RssSampler {
  peakMb = 0;
  otherPeakMb = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly others: number[] = []) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    this.peakMb = Math.max(this.peakMb, process.memoryUsage().rss / (1024 * 1024));
    for (const pid of this.others) {
      const rss = procRss(pid);
      if (rss) this.otherPeakMb.set(pid, Math.max(this.otherPeakMb.get(pid) ?? 0, rss.rssMb));
    }
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers ~1 byte per 2
 * digits + 1, sets the sum of their elements, lists and maps 3 bytes + 1 per element + elements).
 */
export function itemSizeBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSizeBytes(value);
  return size;
}

function valueSizeBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint' || (value && typeof value === 'object' && 'value' in value)) {
    const digits = String(typeof value === 'object' ? (value as { value: string }).value : value).replace(/[^0-9]/g, '').replace(/^0+/, '');
    return Math.ceil(digits.length / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  // A string or number set (the usage items' set of combinations of dimension values): its elements.
  if (value instanceof Set) return [...value].reduce((n: number, element) => n + valueSizeBytes(element), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, element) => n + 1 + valueSizeBytes(element), 0);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value && typeof value === 'object') return 3 + itemSizeBytes(value as Record<string, unknown>) + Object.keys(value).length;
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
