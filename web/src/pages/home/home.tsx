import { lazy, Suspense } from 'preact/compat';
import { useConsole } from '../../app';
import type { Api, List } from '../../api';
import { money, quantity } from '../../format';
import type { Invoice, Meter } from '../../model';
import { Empty, Loaded, Time, useLoad } from '../../ui';

/** The chart code (uPlot) is its own chunk, loaded when a chart is first drawn. */
const UsageChart = lazy(() => import('../meters/usage-chart'));

const DAY = 86_400;
/** Meters drawn in "Busiest meters". */
const BUSIEST = 5;

interface ErrorReport {
  id: string;
  created: string;
  type: string;
  related_object: { id: string } | null;
  data: { developer_message_summary: string; reason: { error_types: { code: string; error_count: number }[] } };
}

interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: { id: string; title?: string; customer?: string } };
}

interface InvoicedTotal {
  month: string;
  currency: string;
  total: number;
  amount_due: number;
  invoice_count: number;
}

/** `YYYY-MM` of this UTC month and the one before. */
function recentMonths(now = new Date()): [string, string] {
  const month = (year: number, index: number) => new Date(Date.UTC(year, index, 1)).toISOString().slice(0, 7);
  return [month(now.getUTCFullYear(), now.getUTCMonth()), month(now.getUTCFullYear(), now.getUTCMonth() - 1)];
}

/** Invoiced this month and last month, a row per currency that had any. */
function Invoiced(props: { thisMonth: InvoicedTotal[]; lastMonth: InvoicedTotal[] }) {
  const currencies = [...new Set([...props.thisMonth, ...props.lastMonth].map((t) => t.currency))].sort();
  const cell = (totals: InvoicedTotal[], currency: string) => {
    const t = totals.find((x) => x.currency === currency);
    return t ? `${money(t.total, currency)} (${t.invoice_count} invoice${t.invoice_count === 1 ? '' : 's'})` : '—';
  };
  return (
    <section aria-labelledby="invoiced" class="panel">
      <h2 id="invoiced">Invoiced</h2>
      {currencies.length === 0 ? (
        <Empty>Nothing was invoiced this month or last month.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Currency</th>
              <th scope="col">This month (UTC)</th>
              <th scope="col">Last month</th>
            </tr>
          </thead>
          <tbody>
            {currencies.map((c) => (
              <tr>
                <td>{c.toUpperCase()}</td>
                <td>{cell(props.thisMonth, c)}</td>
                <td>{cell(props.lastMonth, c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface MeterTotal {
  meter: string;
  start_time: number;
  aggregated_value: number;
}

/**
 * The meters with the most usage over the last 30 UTC days (today included), each with its usage
 * per day over all customers: one call for the ranking, one for the meters' names, one per meter
 * drawn (at most BUSIEST).
 */
async function busiestMeters(api: Api) {
  const end = Math.floor(Date.now() / 1000 / DAY) * DAY + DAY;
  const start = end - 30 * DAY;
  const bounds = { start_time: start, end_time: end };
  const [ranking, meters] = await Promise.all([
    api.get<List<MeterTotal>>('/v1/billing/meter_usage_totals', { ...bounds, limit: BUSIEST }),
    api.get<List<Meter>>('/v1/billing/meters', { limit: 100 }),
  ]);
  const times = Array.from({ length: 30 }, (_, i) => start + i * DAY);
  const rows = await Promise.all(
    ranking.data.map(async (t) => {
      const days = await api.get<List<MeterTotal>>(`/v1/billing/meters/${t.meter}/usage_totals`, { ...bounds, value_grouping_window: 'day' });
      const byDay = new Map(days.data.map((d) => [d.start_time, d.aggregated_value]));
      const name = meters.data.find((m) => m.id === t.meter)?.display_name ?? t.meter;
      return { meter: t.meter, name, total: t.aggregated_value, values: times.map((d) => byDay.get(d) ?? 0) };
    }),
  );
  return { times, rows };
}

function BusiestMeters(props: Awaited<ReturnType<typeof busiestMeters>>) {
  return (
    <section aria-labelledby="busiest" class="panel spaced">
      <h2 id="busiest">Busiest meters, last 30 days</h2>
      {props.rows.length === 0 ? (
        <Empty>No usage in the last 30 days.</Empty>
      ) : (
        <>
          <Suspense fallback={<p class="muted">Loading chart…</p>}>
            <UsageChart times={props.times} series={props.rows.map((r) => ({ label: r.name, values: r.values }))} label="Usage of the busiest meters per day" />
          </Suspense>
          <table aria-label="Busiest meters">
            <thead>
              <tr>
                <th scope="col">Meter</th>
                <th scope="col" class="num">
                  Usage, all customers
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>
                    <a href={`#/meters/${r.meter}`}>{r.name}</a>
                  </td>
                  <td class="num">{quantity(String(r.total))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** This mode at a glance: invoiced this month and last, the busiest meters, drafts in their grace period, recent invoices, alerts triggered, meter error reports. */
export function Home() {
  const { api, mode } = useConsole();
  const state = useLoad(async () => {
    const [thisMonth, lastMonth] = recentMonths();
    const [invoicedNow, invoicedBefore, drafts, recent, alerts, reports, busiest] = await Promise.all([
      api.get<List<InvoicedTotal>>('/v1/billing/invoiced_totals', { month: thisMonth }),
      api.get<List<InvoicedTotal>>('/v1/billing/invoiced_totals', { month: lastMonth }),
      api.get<List<Invoice>>('/v1/invoices', { status: 'draft', limit: 10 }),
      api.get<List<Invoice>>('/v1/invoices', { limit: 10 }),
      api.get<List<StripeEvent>>('/v1/events', { type: 'billing.alert.triggered', limit: 10 }),
      api.get<{ data: ErrorReport[] }>('/v2/core/events', { limit: 5 }),
      busiestMeters(api),
    ]);
    return { invoiced: { thisMonth: invoicedNow.data, lastMonth: invoicedBefore.data }, drafts: drafts.data, recent: recent.data, alerts: alerts.data, reports: reports.data, busiest };
  }, []);
  return (
    <section>
      <h1>Home ({mode} mode)</h1>
      <Loaded state={state}>
        {({ invoiced, drafts, recent, alerts, reports, busiest }) => (
          <>
            <div class="grid">
              <Invoiced {...invoiced} />
              <section aria-labelledby="drafts" class="panel">
                <h2 id="drafts">Drafts in their grace period</h2>
                {drafts.length === 0 ? (
                  <Empty>No draft invoices.</Empty>
                ) : (
                  <ul>
                    {drafts.map((i) => (
                      <li>
                        <a href={`#/invoices/${i.id}`}>{i.customer_name ?? i.customer}</a> {money(i.total, i.currency)}, finalizes <Time at={i.automatically_finalizes_at} />
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              <section aria-labelledby="recent" class="panel">
                <h2 id="recent">Recent invoices</h2>
                {recent.length === 0 ? (
                  <Empty>No invoices yet.</Empty>
                ) : (
                  <ul>
                    {recent.map((i) => (
                      <li>
                        <a href={`#/invoices/${i.id}`}>{i.number ?? i.id}</a> {i.status} {money(i.total, i.currency)}
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              <section aria-labelledby="alerts" class="panel">
                <h2 id="alerts">Alerts triggered</h2>
                {alerts.length === 0 ? (
                  <Empty>No alert has fired.</Empty>
                ) : (
                  <ul>
                    {alerts.map((e) => (
                      <li>
                        {e.data.object.title ?? e.data.object.id} for {e.data.object.customer ?? 'a customer'}, <Time at={e.created} />
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              <section aria-labelledby="reports" class="panel">
                <h2 id="reports">Meter error reports</h2>
                {reports.length === 0 ? (
                  <Empty>No meter event was refused.</Empty>
                ) : (
                  <ul>
                    {reports.map((r) => (
                      <li>
                        {r.related_object ? <a href={`#/meters/${r.related_object.id}`}>{r.related_object.id}</a> : 'No meter'}:{' '}
                        {r.data.reason.error_types.map((t) => `${t.error_count} × ${t.code}`).join(', ')}, <Time at={Math.floor(Date.parse(r.created) / 1000)} />
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </div>
            <BusiestMeters {...busiest} />
          </>
        )}
      </Loaded>
    </section>
  );
}
