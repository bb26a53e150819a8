import type { Api } from '../api';
import { quantity } from '../format';
import type { Meter } from '../model';
import type { UsageSeries } from './meters/usage-chart';

/** Usage over a range, as the meter and customer pages chart it: the range, its buckets, and one customer's usage per meter and dimension value. */

export const HOUR = 3600;
export const DAY = 86_400;
export const RANGES = { '24h': { seconds: DAY, window: 'hour' }, '7d': { seconds: 7 * DAY, window: 'hour' }, '30d': { seconds: 30 * DAY, window: 'day' } } as const;
export type Range = keyof typeof RANGES | 'custom';

export interface UsageWindow {
  start: number;
  end: number;
  step: number;
  window: 'hour' | 'day';
}

/** A date input's value (UTC days) for a Unix time. */
export const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** The window asked for: [start, end) aligned to its buckets (hours up to 7 days, days beyond), ending at `now`'s bucket. */
export function windowOf(range: Range, custom: { from: string; to: string }, now = Date.now() / 1000): UsageWindow {
  if (range === 'custom') {
    const start = Date.parse(`${custom.from}T00:00:00Z`) / 1000;
    const end = Math.max(start + DAY, Date.parse(`${custom.to}T00:00:00Z`) / 1000 + DAY);
    const window = end - start > 7 * DAY ? 'day' : 'hour';
    return { start, end, step: window === 'day' ? DAY : HOUR, window };
  }
  const { seconds, window } = RANGES[range];
  const step = window === 'hour' ? HOUR : DAY;
  const end = Math.ceil(now / step) * step + step;
  return { start: end - seconds - step, end, step, window };
}

/** Refuses a window the console does not chart (reversed, or longer than 90 days). */
export function checkWindow(w: UsageWindow): void {
  if (!(w.end > w.start) || w.end - w.start > 90 * DAY) throw new Error('Choose a range of at most 90 days.');
}

/** Every bucket start of the window, so the time axis is the range asked for (empty buckets at 0). */
export const bucketTimes = (w: UsageWindow) => Array.from({ length: Math.round((w.end - w.start) / w.step) }, (_, i) => w.start + i * w.step);

/** Exact sum of decimal values given as numbers: through integers of the largest scale. */
export function exactTotal(values: number[]): string {
  const scale = Math.max(0, ...values.map((v) => (String(v).split('.')[1] ?? '').length));
  const total = values.reduce((sum, v) => sum + BigInt(Math.round(v * 10 ** scale)), 0n);
  const text = (total < 0n ? -total : total).toString().padStart(scale + 1, '0');
  const whole = scale ? `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '') : text;
  return `${total < 0n ? '-' : ''}${whole}`;
}

/** The range buttons (24h, 7d, 30d, Custom) and, for Custom, the UTC dates. */
export function RangeControls(props: { range: Range; custom: { from: string; to: string }; onRange: (r: Range) => void; onCustom: (c: { from: string; to: string }) => void }) {
  const { custom, onCustom } = props;
  return (
    <>
      <span role="group" aria-label="Range">
        {([...Object.keys(RANGES), 'custom'] as Range[]).map((r) => (
          <button type="button" aria-pressed={r === props.range} onClick={() => props.onRange(r)}>
            {r === 'custom' ? 'Custom' : r}
          </button>
        ))}
      </span>
      {props.range === 'custom' && (
        <>
          <label for="range-from">From (UTC)</label>
          <input id="range-from" type="date" value={custom.from} onChange={(e) => onCustom({ ...custom, from: (e.target as HTMLInputElement).value })} />
          <label for="range-to">To (UTC)</label>
          <input id="range-to" type="date" value={custom.to} onChange={(e) => onCustom({ ...custom, to: (e.target as HTMLInputElement).value })} />
        </>
      )}
    </>
  );
}

/** "Break down by": None or one of the meter's dimension keys (nothing for a meter without dimensions). */
export function BreakdownSelect(props: { id: string; meter: Meter; value: string | undefined; onChange: (key: string | undefined) => void }) {
  const keys = props.meter.dimension_payload_keys ?? [];
  if (keys.length === 0) return null;
  return (
    <>
      <label for={props.id}>Break down by</label>
      <select id={props.id} value={props.value ?? ''} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">None</option>
        {keys.map((k) => (
          <option value={k}>{k}</option>
        ))}
      </select>
    </>
  );
}

/** A row of GET /v1/billing/analytics/meter_usage. */
interface UsageRow {
  starts_at: number;
  ends_at: number;
  value: number;
  meter: string;
  /** The group's values; a group without a value for a key has no such key. */
  dimensions: Record<string, string>;
}

interface MeterUsageAnalytics {
  rows: { data: UsageRow[] };
}

/** A series of one meter's usage: its buckets, and its value over the whole range (exact, as the API gives it). */
export type BreakdownSeries = UsageSeries & { total: string };

export interface MeterUsage {
  meter: Meter;
  /** The dimension key the usage is broken down by. */
  by?: string;
  times: number[];
  /** One series without a breakdown; with one, a series per value, the largest total first. */
  series: BreakdownSeries[];
  /** The meter's value over the whole range (for `last` meters, the last value, not a sum). */
  total: string;
}

/** Meters per analytics request (the API's bound). */
const METERS_PER_REQUEST = 10;

/** What a group is called in a breakdown by `key`: its value, or "(no key)" for usage without one. */
export const groupLabel = (dimensions: Record<string, string>, key: string) => dimensions[key] ?? `(no ${key})`;

/**
 * One customer's usage of several meters over a window, from the usage analytics API: per bucket
 * (the chart) and over the whole range (the totals, exact for every formula), each meter broken
 * down by its `by` key when it has one. At most three requests per ten meters, whatever the data.
 */
export async function readMeterUsage(api: Api, customer: string, w: UsageWindow, requests: readonly { meter: Meter; by?: string }[]): Promise<MeterUsage[]> {
  checkWindow(w);
  const times = bucketTimes(w);
  const read = (grouped: boolean, window: 'hour' | 'day' | undefined, chunk: readonly { meter: Meter; by?: string }[]) =>
    api
      .get<MeterUsageAnalytics>('/v1/billing/analytics/meter_usage', {
        customer,
        starts_at: w.start,
        ends_at: w.end,
        value_grouping_window: window,
        meters: chunk.map((r) => ({ meter: r.meter.id, dimension_group_by_keys: grouped && r.by ? [r.by] : undefined })),
      })
      .then((answer) => answer.rows.data);
  const chunks: (typeof requests)[] = [];
  for (let i = 0; i < requests.length; i += METERS_PER_REQUEST) chunks.push(requests.slice(i, i + METERS_PER_REQUEST));
  const answers = await Promise.all(
    chunks.map(async (chunk) => {
      const broken = chunk.some((r) => r.by);
      const [perBucket, perGroup, overall] = await Promise.all([
        read(true, w.window, chunk),
        read(true, undefined, chunk),
        // Without a breakdown the range-wide rows are the totals already; with one, the meter's own total is read apart (a `last` meter's is no sum of its groups').
        broken ? read(false, undefined, chunk) : undefined,
      ]);
      return { perBucket, perGroup, overall: overall ?? perGroup };
    }),
  );
  const perBucket = answers.flatMap((a) => a.perBucket);
  const perGroup = answers.flatMap((a) => a.perGroup);
  const overall = answers.flatMap((a) => a.overall);

  return requests.map(({ meter, by }) => {
    const labelOf = (row: UsageRow) => (by ? groupLabel(row.dimensions, by) : meter.display_name);
    const series = new Map<string, BreakdownSeries>();
    for (const row of perGroup.filter((r) => r.meter === meter.id)) {
      series.set(labelOf(row), { label: labelOf(row), values: times.map(() => 0), total: String(row.value) });
    }
    const index = new Map(times.map((t, i) => [t, i]));
    for (const row of perBucket.filter((r) => r.meter === meter.id)) {
      const s = series.get(labelOf(row));
      const i = index.get(row.starts_at);
      if (s && i !== undefined) s.values[i] = row.value;
    }
    const ordered = [...series.values()].sort((a, b) => Number(b.total) - Number(a.total) || a.label.localeCompare(b.label));
    const total = overall.find((r) => r.meter === meter.id)?.value;
    return { meter, by, times, series: by ? ordered : ordered.length ? ordered : [{ label: meter.display_name, values: times.map(() => 0), total: '0' }], total: String(total ?? 0) };
  });
}

/** The breakdown's totals: a row per value over the range, and the meter's own total. */
export function BreakdownTable(props: { usage: MeterUsage; label: string }) {
  const { usage } = props;
  if (!usage.by) return null;
  return (
    <table aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">{usage.by}</th>
          <th scope="col" class="num">
            Usage
          </th>
        </tr>
      </thead>
      <tbody>
        {usage.series.map((s) => (
          <tr>
            <td>{s.label}</td>
            <td class="num">{quantity(s.total)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{usage.meter.default_aggregation.formula === 'last' ? 'Last value' : 'Total'}</th>
          <td class="num">{quantity(usage.total)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
