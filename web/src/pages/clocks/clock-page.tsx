import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import type { Customer, Invoice, Subscription, TestClock } from '../../model';
import { Loaded, PagedTable, StatusBadge, Table, Time, useLoad, usePaged } from '../../ui';
import { invoiceColumns, subscriptionColumns } from '../columns';

const DAY = 86_400;

/** `datetime-local` text for a Unix time, in UTC (the picker is labelled UTC). */
const toInput = (t: number) => new Date(t * 1000).toISOString().slice(0, 16);

/** A test clock: its frozen time and "Advance to", with quick steps. */
export function ClockPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const [clock, customers] = await Promise.all([
      api.get<TestClock>(`/v1/test_helpers/test_clocks/${props.id}`),
      api.get<List<Customer>>('/v1/customers', { test_clock: props.id, limit: 100 }),
    ]);
    return { clock, customers: customers.data };
  }, [props.id]);
  // What the clock brought about: its subscriptions and the invoices they produced, a page at a time.
  const subscriptions = usePaged((cursor) => api.get<List<Subscription>>('/v1/subscriptions', { test_clock: props.id, status: 'all', limit: 10, ...cursor }), [props.id]);
  const invoices = usePaged((cursor) => api.get<List<Invoice>>('/v1/invoices', { test_clock: props.id, limit: 10, ...cursor }), [props.id]);
  const [target, setTarget] = useState<string>();
  const [result, setResult] = useState<{ error?: string; busy?: boolean }>({});
  return (
    <Loaded state={state}>
      {({ clock, customers }) => {
        const value = target ?? toInput(clock.frozen_time);
        const advance = async () => {
          setResult({ busy: true });
          try {
            await api.post(`/v1/test_helpers/test_clocks/${clock.id}/advance`, { frozen_time: Math.floor(Date.parse(`${value}:00Z`) / 1000) });
            setTarget(undefined);
            setResult({});
            state.reload();
            subscriptions.state.reload();
            invoices.state.reload();
          } catch (err) {
            setResult({ error: (err as Error).message });
          }
        };
        return (
          <>
            <h1>
              {clock.name ?? clock.id} <StatusBadge status={clock.status} />
            </h1>
            <p>
              Frozen at <Time at={clock.frozen_time} />
            </p>
            <section aria-labelledby="clock-customers">
              <h2 id="clock-customers">Customers on this clock</h2>
              <Table
                rows={customers}
                empty="No customer lives on this clock."
                columns={[
                  { label: 'Customer', cell: (c) => <a href={`#/customers/${c.id}`}>{c.name ?? c.id}</a> },
                  { label: 'Email', cell: (c) => c.email ?? '—' },
                  { label: 'Invoices', cell: (c) => <a href={`#/invoices?customer=${c.id}`}>Invoices of {c.name ?? c.id}</a> },
                ]}
              />
            </section>
            <section aria-labelledby="clock-subscriptions">
              <h2 id="clock-subscriptions">Subscriptions</h2>
              <PagedTable
                paged={subscriptions}
                empty="No subscription on this clock."
                columns={subscriptionColumns(true)}
              />
            </section>
            <section aria-labelledby="clock-invoices">
              <h2 id="clock-invoices">Invoices they produced</h2>
              <PagedTable
                paged={invoices}
                empty="No invoice yet: advance the clock past a period end."
                columns={invoiceColumns(true)}
              />
            </section>
            {canWrite && (
              <form
                class="panel"
                aria-labelledby="advance"
                onSubmit={(e) => {
                  e.preventDefault();
                  void advance();
                }}
              >
                <h2 id="advance">Advance</h2>
                <label for="advance-to">Advance to (UTC)</label>
                <input id="advance-to" type="datetime-local" value={value} min={toInput(clock.frozen_time)} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
                <span role="group" aria-label="Quick steps">
                  {[
                    ['+1 day', DAY],
                    ['+1 week', 7 * DAY],
                    ['+32 days', 32 * DAY],
                  ].map(([label, seconds]) => (
                    <button type="button" onClick={() => setTarget(toInput(clock.frozen_time + Number(seconds)))}>
                      {label}
                    </button>
                  ))}
                </span>
                <button type="submit" class="primary" disabled={result.busy}>
                  Advance clock
                </button>
                {result.error && (
                  <p role="alert" class="error">
                    {result.error}
                  </p>
                )}
              </form>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
