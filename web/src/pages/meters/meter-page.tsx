import { lazy, Suspense } from 'preact/compat';
import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import { quantity } from '../../format';
import type { Customer, Meter } from '../../model';
import { ConfirmButton, Empty, Loaded, Outcome, StatusBadge, useLoad, useOutcome } from '../../ui';

/** The chart code (uPlot) is its own chunk, loaded when a chart is first drawn. */
const UsageChart = lazy(() => import('./usage-chart'));

const HOUR = 3600;
const DAY = 86_400;
const RANGES = { '24h': { seconds: DAY, window: 'hour' }, '7d': { seconds: 7 * DAY, window: 'hour' }, '30d': { seconds: 30 * DAY, window: 'day' } } as const;
type Range = keyof typeof RANGES | 'custom';

/** A date input's value (UTC days) for a Unix time. */
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** The window asked for: [start, end) aligned to its buckets (hours up to 7 days, days beyond). */
function windowOf(range: Range, custom: { from: string; to: string }): { start: number; end: number; step: number; window: 'hour' | 'day' } {
  if (range === 'custom') {
    const start = Date.parse(`${custom.from}T00:00:00Z`) / 1000;
    const end = Math.max(start + DAY, Date.parse(`${custom.to}T00:00:00Z`) / 1000 + DAY);
    const window = end - start > 7 * DAY ? 'day' : 'hour';
    return { start, end, step: window === 'day' ? DAY : HOUR, window };
  }
  const { seconds, window } = RANGES[range];
  const step = window === 'hour' ? HOUR : DAY;
  const end = Math.ceil(Date.now() / 1000 / step) * step + step;
  return { start: end - seconds - step, end, step, window };
}

interface Bucket {
  start_time: number;
  aggregated_value: number;
}

interface CustomerUsage {
  customer: string;
  aggregated_value: number;
}

/** Exact sum of decimal values given as numbers: through integers of the largest scale. */
function exactTotal(values: number[]): string {
  const scale = Math.max(0, ...values.map((v) => (String(v).split('.')[1] ?? '').length));
  const total = values.reduce((sum, v) => sum + BigInt(Math.round(v * 10 ** scale)), 0n);
  const text = (total < 0n ? -total : total).toString().padStart(scale + 1, '0');
  const whole = scale ? `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '') : text;
  return `${total < 0n ? '-' : ''}${whole}`;
}

/** What the usage chart shows: every customer together, the top customers, or one customer. */
const ALL = 'all';
const TOP = 'top';
/** Customers drawn in "Top customers". */
const TOP_LIMIT = 5;

/**
 * A meter: its usage over a range (every customer together, the top customers, or one customer;
 * `last` meters per customer only), the range total, status actions and "Add usage".
 */
export function MeterPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const [range, setRange] = useState<Range>('24h');
  const [custom, setCustom] = useState({ from: day(Date.now() / 1000 - 7 * DAY), to: day(Date.now() / 1000) });
  const [picked, setPicked] = useState<string>();
  const meterState = useLoad(async () => {
    const [meter, customers] = await Promise.all([
      api.get<Meter>(`/v1/billing/meters/${props.id}`),
      api.get<List<Customer>>('/v1/customers', { limit: 100 }),
    ]);
    return { meter, customers: customers.data };
  }, [props.id]);
  // Usage across customers is rolled up for sum and count meters; a `last` meter's value is per customer.
  const acrossCustomers = meterState.data ? meterState.data.meter.default_aggregation.formula !== 'last' : false;
  const subject = picked ?? (acrossCustomers ? ALL : meterState.data?.customers[0]?.id);
  const usageState = useLoad(async () => {
    if (!subject) return undefined;
    const { start, end, step, window } = windowOf(range, custom);
    if (!(end > start) || end - start > 90 * DAY) throw new Error('Choose a range of at most 90 days.');
    const bounds = { start_time: start, end_time: end };
    // Every bucket of the range, empty ones at 0, so the time axis is the range asked for.
    const times = Array.from({ length: Math.round((end - start) / step) }, (_, i) => start + i * step);
    const fill = (buckets: Bucket[]) => {
      const byStart = new Map(buckets.map((b) => [b.start_time, b.aggregated_value]));
      return times.map((t) => byStart.get(t) ?? 0);
    };
    // At most 745 buckets (30 days of hours): a few pages of 100, never one request per bucket.
    const ofCustomer = (customer: string) =>
      api.all<Bucket & { id: string }>(`/v1/billing/meters/${props.id}/event_summaries`, { customer, ...bounds, value_grouping_window: window }, 1000);
    const allCustomers = () => api.get<List<Bucket>>(`/v1/billing/meters/${props.id}/usage_totals`, { ...bounds, value_grouping_window: window });
    const nameOf = (id: string) => meterState.data?.customers.find((c) => c.id === id)?.name ?? id;

    if (subject === ALL) {
      const values = fill((await allCustomers()).data);
      return { times, series: [{ label: 'All customers', values }], total: exactTotal(values), top: undefined };
    }
    if (subject === TOP) {
      const [top, all] = await Promise.all([api.get<List<CustomerUsage>>(`/v1/billing/meters/${props.id}/top_customers`, { ...bounds, limit: TOP_LIMIT }), allCustomers()]);
      const series = await Promise.all(top.data.map(async (c) => ({ label: nameOf(c.customer), values: fill(await ofCustomer(c.customer)) })));
      return { times, series, total: exactTotal(fill(all.data)), top: top.data.map((c) => ({ ...c, name: nameOf(c.customer) })) };
    }
    const values = fill(await ofCustomer(subject));
    return { times, series: [{ label: nameOf(subject), values }], total: exactTotal(values), top: undefined };
  }, [props.id, subject, range, range === 'custom' ? `${custom.from}/${custom.to}` : '']);

  return (
    <Loaded state={meterState}>
      {({ meter, customers }) => (
        <>
          <h1>
            {meter.display_name} <StatusBadge status={meter.status} />
          </h1>
          <p>
            Event name <code>{meter.event_name}</code>, aggregated by {meter.default_aggregation.formula}.
          </p>
          {canWrite && (
            <p class="actions">
              {meter.status === 'active' ? (
                <ConfirmButton danger label="Deactivate" confirm="Deactivate this meter? It refuses new events." onConfirm={() => api.post(`/v1/billing/meters/${meter.id}/deactivate`).then(meterState.reload)} />
              ) : (
                <ConfirmButton label="Reactivate" confirm="Reactivate this meter?" onConfirm={() => api.post(`/v1/billing/meters/${meter.id}/reactivate`).then(meterState.reload)} />
              )}
            </p>
          )}
          <section aria-labelledby="usage">
            <h2 id="usage">Usage</h2>
            {!subject ? (
              <Empty>No customers to show usage for.</Empty>
            ) : (
              <>
                <div class="controls">
                  <label for="usage-of">Usage of</label>
                  <select id="usage-of" value={subject} onChange={(e) => setPicked((e.target as HTMLSelectElement).value)}>
                    {acrossCustomers && <option value={ALL}>All customers</option>}
                    {acrossCustomers && <option value={TOP}>Top {TOP_LIMIT} customers</option>}
                    {customers.map((c) => (
                      <option value={c.id}>{c.name ? `${c.name} (${c.id})` : c.id}</option>
                    ))}
                  </select>
                  <span role="group" aria-label="Range">
                    {([...Object.keys(RANGES), 'custom'] as Range[]).map((r) => (
                      <button type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
                        {r === 'custom' ? 'Custom' : r}
                      </button>
                    ))}
                  </span>
                  {range === 'custom' && (
                    <>
                      <label for="range-from">From (UTC)</label>
                      <input id="range-from" type="date" value={custom.from} onChange={(e) => setCustom({ ...custom, from: (e.target as HTMLInputElement).value })} />
                      <label for="range-to">To (UTC)</label>
                      <input id="range-to" type="date" value={custom.to} onChange={(e) => setCustom({ ...custom, to: (e.target as HTMLInputElement).value })} />
                    </>
                  )}
                </div>
                <Loaded state={usageState}>
                  {(usage) =>
                    usage && (
                      <>
                        <p>
                          Total over the range{usage.top ? ' (all customers)' : ''}: <strong data-testid="range-total">{quantity(usage.total)}</strong>
                        </p>
                        {usage.series.every((s) => s.values.every((v) => v === 0)) ? (
                          <Empty>No usage in this range.</Empty>
                        ) : (
                          <Suspense fallback={<p class="muted">Loading chart…</p>}>
                            <UsageChart times={usage.times} series={usage.series} label={`${meter.display_name} per bucket`} />
                          </Suspense>
                        )}
                        {usage.top && usage.top.length > 0 && (
                          <table aria-label="Top customers">
                            <thead>
                              <tr>
                                <th scope="col">Customer</th>
                                <th scope="col" class="num">
                                  Usage
                                </th>
                              </tr>
                            </thead>
                            <tbody>
                              {usage.top.map((c) => (
                                <tr>
                                  <td>
                                    <a href={`#/customers/${c.customer}`}>{c.name}</a>
                                  </td>
                                  <td class="num">{quantity(String(c.aggregated_value))}</td>
                                </tr>
                              ))}
                            </tbody>
                          </table>
                        )}
                      </>
                    )
                  }
                </Loaded>
              </>
            )}
          </section>
          {canWrite && meter.status === 'active' && customers.length > 0 && <AddUsage meter={meter} customers={customers} onSent={usageState.reload} />}
        </>
      )}
    </Loaded>
  );
}

/** Sends one meter event, with an identifier, for a customer. */
function AddUsage(props: { meter: Meter; customers: Customer[]; onSent: () => void }) {
  const { api } = useConsole();
  const { message, run } = useOutcome();
  return (
    <form
      class="panel"
      aria-labelledby="add-usage"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        void run(async () => {
          const event = await api.post<{ identifier: string }>('/v1/billing/meter_events', {
            event_name: props.meter.event_name,
            identifier: String(form.get('identifier') || '') || undefined,
            payload: { stripe_customer_id: String(form.get('customer')), value: String(form.get('value')) },
          });
          props.onSent();
          return `Sent ${event.identifier}.`;
        });
      }}
    >
      <h2 id="add-usage">Add usage</h2>
      <label for="add-customer">Customer</label>
      <select id="add-customer" name="customer">
        {props.customers.map((c) => (
          <option value={c.id}>{c.name ?? c.id}</option>
        ))}
      </select>
      <label for="add-value">Value</label>
      <input id="add-value" name="value" inputMode="decimal" required />
      <label for="add-identifier">Identifier</label>
      <input id="add-identifier" name="identifier" placeholder="generated when empty" />
      <button type="submit" class="primary">
        Send event
      </button>
      <Outcome message={message} />
    </form>
  );
}
