import { lazy, Suspense } from 'preact/compat';
import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import { quantity } from '../../format';
import type { Customer, Meter } from '../../model';
import { ConfirmButton, Empty, Loaded, Outcome, StatusBadge, useLoad, useOutcome } from '../../ui';
import { BreakdownSelect, BreakdownTable, bucketTimes, checkWindow, DAY, day, exactTotal, RangeControls, readMeterUsage, windowOf, type BreakdownSeries, type Range } from '../usage';

/** The chart code (uPlot) is its own chunk, loaded when a chart is first drawn. */
const UsageChart = lazy(() => import('./usage-chart'));

interface Bucket {
  start_time: number;
  aggregated_value: number;
}

interface CustomerUsage {
  customer: string;
  aggregated_value: number;
}

/** What the usage chart shows: every customer together, the top customers, or one customer. */
const ALL = 'all';
const TOP = 'top';
/** Customers drawn in "Top customers". */
const TOP_LIMIT = 5;

/**
 * A meter: its usage over a range (every customer together, the top customers, or one customer;
 * `last` meters per customer only), the range total, status actions and "Add usage". One
 * customer's usage comes from the usage analytics API and, for a meter with dimensions, can be
 * broken down by one of them: a series per value and a table of each value's total.
 */
export function MeterPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const [range, setRange] = useState<Range>('24h');
  const [custom, setCustom] = useState({ from: day(Date.now() / 1000 - 7 * DAY), to: day(Date.now() / 1000) });
  const [picked, setPicked] = useState<string>();
  const [by, setBy] = useState<string>();
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
    if (!subject || !meterState.data) return undefined;
    const w = windowOf(range, custom);
    checkWindow(w);
    const bounds = { start_time: w.start, end_time: w.end };
    const times = bucketTimes(w);
    const fill = (buckets: Bucket[]) => {
      const byStart = new Map(buckets.map((b) => [b.start_time, b.aggregated_value]));
      return times.map((t) => byStart.get(t) ?? 0);
    };
    const allCustomers = () => api.get<List<Bucket>>(`/v1/billing/meters/${props.id}/usage_totals`, { ...bounds, value_grouping_window: w.window });
    const nameOf = (id: string) => meterState.data?.customers.find((c) => c.id === id)?.name ?? id;

    if (subject === ALL) {
      const values = fill((await allCustomers()).data);
      return { times, series: [{ label: 'All customers', values }], total: exactTotal(values), top: undefined, breakdown: undefined };
    }
    if (subject === TOP) {
      // At most 745 buckets (30 days of hours) per customer: a few pages of 100, never one request per bucket.
      const ofCustomer = (customer: string) =>
        api.all<Bucket & { id: string }>(`/v1/billing/meters/${props.id}/event_summaries`, { customer, ...bounds, value_grouping_window: w.window }, 1000);
      const [top, all] = await Promise.all([api.get<List<CustomerUsage>>(`/v1/billing/meters/${props.id}/top_customers`, { ...bounds, limit: TOP_LIMIT }), allCustomers()]);
      const series = await Promise.all(top.data.map(async (c) => ({ label: nameOf(c.customer), values: fill(await ofCustomer(c.customer)) })));
      return { times, series, total: exactTotal(fill(all.data)), top: top.data.map((c) => ({ ...c, name: nameOf(c.customer) })), breakdown: undefined };
    }
    const breakdownKey = by && meterState.data.meter.dimension_payload_keys?.includes(by) ? by : undefined;
    const [usage] = await readMeterUsage(api, subject, w, [{ meter: meterState.data.meter, by: breakdownKey }]);
    const series: BreakdownSeries[] = breakdownKey ? usage!.series : usage!.series.map((s) => ({ ...s, label: nameOf(subject) }));
    return { times, series, total: usage!.total, top: undefined, breakdown: breakdownKey ? usage : undefined };
  }, [props.id, subject, by, range, range === 'custom' ? `${custom.from}/${custom.to}` : '']);

  return (
    <Loaded state={meterState}>
      {({ meter, customers }) => (
        <>
          <h1>
            {meter.display_name} <StatusBadge status={meter.status} />
          </h1>
          <p>
            Event name <code>{meter.event_name}</code>, aggregated by {meter.default_aggregation.formula}.
            {meter.dimension_payload_keys?.length ? (
              <>
                {' '}
                Dimensions:{' '}
                {meter.dimension_payload_keys.map((k, i) => (
                  <>
                    {i > 0 && ', '}
                    <code>{k}</code>
                  </>
                ))}
                .
              </>
            ) : null}
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
                  {subject !== ALL && subject !== TOP && <BreakdownSelect id="break-down-by" meter={meter} value={by} onChange={setBy} />}
                  <RangeControls range={range} custom={custom} onRange={setRange} onCustom={setCustom} />
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
                            <UsageChart times={usage.times} series={usage.series} label={`${meter.display_name} per bucket${usage.breakdown ? ` by ${usage.breakdown.by}` : ''}`} />
                          </Suspense>
                        )}
                        {usage.breakdown && <BreakdownTable usage={usage.breakdown} label={`${meter.display_name} usage by ${usage.breakdown.by}`} />}
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

/** Sends one meter event, with an identifier and the values of the meter's dimensions, for a customer. */
function AddUsage(props: { meter: Meter; customers: Customer[]; onSent: () => void }) {
  const { api } = useConsole();
  const { message, run } = useOutcome();
  const keys = props.meter.dimension_payload_keys ?? [];
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
            payload: {
              stripe_customer_id: String(form.get('customer')),
              value: String(form.get('value')),
              // A dimension left empty has no value in this event.
              ...Object.fromEntries(keys.map((k) => [k, String(form.get(`dimension.${k}`) || '')]).filter(([, v]) => v)),
            },
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
      {keys.map((k) => (
        <>
          <label for={`add-dimension-${k}`}>
            <code>{k}</code> (optional)
          </label>
          <input id={`add-dimension-${k}`} name={`dimension.${k}`} maxLength={100} />
        </>
      ))}
      <label for="add-identifier">Identifier</label>
      <input id="add-identifier" name="identifier" placeholder="generated when empty" />
      <button type="submit" class="primary">
        Send event
      </button>
      <Outcome message={message} />
    </form>
  );
}
