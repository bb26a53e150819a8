/** AWS list prices (us-east-1) the bench's cost model uses, in USD. */
export const PRICES = {
  httpApiPerMillionRequests: 1.0,
  sqsPerMillionRequests: 0.4,
  lambdaPerMillionRequests: 0.2,
  /** Lambda arm64, first pricing tier. */
  lambdaPerGbSecond: 0.0000133334,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
} as const;

export interface CostInputs {
  events: number;
  httpRequests: number;
  /** SQS requests as billed: one per call per started 64 KB of payload. */
  sqsBilledRequests: number;
  ingestInvocations: number;
  ingestBilledMs: number;
  ingestMemoryMb: number;
  consumerInvocations: number;
  consumerBilledMs: number;
  consumerMemoryMb: number;
  writeUnits: number;
  readUnits: number;
}

export interface CostLine {
  item: string;
  quantity: number;
  /** The quantity scaled to the unit of account (per million events, per 1,000 invoices). */
  scaled: number;
  unit: string;
  /** USD of the scaled quantity. */
  usd: number;
}

/** A cost line: `quantity` of `unit` at `price` USD each, scaled by `scale`. */
export function costLine(item: string, quantity: number, unit: string, price: number, scale: number): CostLine {
  return { item, quantity, unit, scaled: quantity * scale, usd: quantity * scale * price };
}

/** Lambda GB-seconds of `ms` billed at `mb` of memory. */
export const gbSeconds = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);

/** Cost per million events, line by line. */
export function costPerMillion(c: CostInputs): { lines: CostLine[]; total: number } {
  const scale = 1e6 / c.events;
  const line = (item: string, quantity: number, unit: string, price: number) => costLine(item, quantity, unit, price, scale);
  const ingestGbs = gbSeconds(c.ingestBilledMs, c.ingestMemoryMb);
  const consumerGbs = gbSeconds(c.consumerBilledMs, c.consumerMemoryMb);
  const lines: CostLine[] = [
    line('API Gateway HTTP API requests', c.httpRequests, 'requests', PRICES.httpApiPerMillionRequests / 1e6),
    line('SQS requests (64 KB chunks)', c.sqsBilledRequests, 'requests', PRICES.sqsPerMillionRequests / 1e6),
    line('Lambda requests: ingest', c.ingestInvocations, 'invocations', PRICES.lambdaPerMillionRequests / 1e6),
    line('Lambda requests: consumer', c.consumerInvocations, 'invocations', PRICES.lambdaPerMillionRequests / 1e6),
    line(`Lambda duration: ingest (${c.ingestMemoryMb} MB)`, ingestGbs, 'GB-s', PRICES.lambdaPerGbSecond),
    line(`Lambda duration: consumer (${c.consumerMemoryMb} MB)`, consumerGbs, 'GB-s', PRICES.lambdaPerGbSecond),
    line('DynamoDB write request units', c.writeUnits, 'WRU', PRICES.dynamoPerMillionWriteUnits / 1e6),
    line('DynamoDB read request units', c.readUnits, 'RRU', PRICES.dynamoPerMillionReadUnits / 1e6),
  ];
  return { lines, total: lines.reduce((sum, l) => sum + l.usd, 0) };
}

/** A fixed-width text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}

export const round = (n: number, digits: number) => Number(n.toFixed(digits));
