import { lazy, Suspense } from 'preact/compat';
import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { Api, List } from '../../api';
import { money, period, quantity } from '../../format';
import type { CreditGrant, CreditTransaction, Customer, Invoice, Meter, Subscription, TestClock, UnpricedUsage } from '../../model';
import { ConfirmButton, Empty, Loaded, Outcome, StatusBadge, Table, Time, useLoad, useOutcome } from '../../ui';
import { invoiceColumns, subscriptionColumns } from '../columns';
import { BreakdownSelect, BreakdownTable, DAY, day, RangeControls, readMeterUsage, windowOf, type MeterUsage, type Range } from '../usage';

/** The chart code (uPlot) is its own chunk, loaded when a chart is first drawn. */
const UsageChart = lazy(() => import('../meters/usage-chart'));

interface Balances {
  balances: { available_balance: { monetary: { currency: string; value: number } }; ledger_balance: { monetary: { currency: string; value: number } } }[];
}

/** The meters `subscriptions` bill usage of: one page of meters, and each one not on it alone (only past 100 meters). */
async function metersOf(api: Api, subscriptions: Subscription[]): Promise<Meter[]> {
  const ids = [...new Set(subscriptions.flatMap((s) => s.items.data.map((i) => i.price.recurring?.meter ?? '')).filter(Boolean))];
  if (ids.length === 0) return [];
  const page = await api.get<List<Meter>>('/v1/billing/meters', { limit: 100 });
  const known = new Map(page.data.map((m) => [m.id, m]));
  return Promise.all(ids.map((id) => known.get(id) ?? api.get<Meter>(`/v1/billing/meters/${id}`)));
}

/**
 * A customer: details, subscriptions, this period so far (with its unpriced usage), usage per
 * meter, invoices, credits. A bounded number of calls, whatever the data (short of an account with
 * more than 100 meters).
 */
export function CustomerPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const customer = await api.get<Customer>(`/v1/customers/${props.id}`);
    const [subscriptions, invoices, grants, ledger, balances, clock] = await Promise.all([
      api.get<List<Subscription>>('/v1/subscriptions', { customer: props.id, status: 'all', limit: 20 }),
      api.get<List<Invoice>>('/v1/invoices', { customer: props.id, limit: 10 }),
      api.get<List<CreditGrant>>('/v1/billing/credit_grants', { customer: props.id, limit: 20 }),
      api.get<List<CreditTransaction>>('/v1/billing/credit_balance_transactions', { customer: props.id, limit: 20 }),
      api.get<Balances>('/v1/billing/credit_balance_summary', { customer: props.id, filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } }),
      customer.test_clock ? api.get<TestClock>(`/v1/test_helpers/test_clocks/${customer.test_clock}`) : undefined,
    ]);
    const active = subscriptions.data.find((s) => s.status === 'active');
    const [upcoming, meters] = await Promise.all([
      active ? api.post<Invoice>('/v1/invoices/create_preview', { customer: props.id, subscription: active.id }).catch(() => undefined) : undefined,
      metersOf(api, subscriptions.data),
    ]);
    return { customer, subscriptions: subscriptions.data, invoices: invoices.data, grants: grants.data, ledger: ledger.data, balances: balances.balances, upcoming, meters, clock };
  }, [props.id]);

  return (
    <Loaded state={state}>
      {({ customer, subscriptions, invoices, grants, ledger, balances, upcoming, meters, clock }) => (
        <>
          <h1>{customer.name ?? customer.id}</h1>
          <dl class="facts">
            <dt>Id</dt>
            <dd>{customer.id}</dd>
            <dt>Email</dt>
            <dd>{customer.email ?? '—'}</dd>
            <dt>Created</dt>
            <dd>
              <Time at={customer.created} />
            </dd>
            {customer.test_clock && (
              <>
                <dt>Test clock</dt>
                <dd>
                  <a href={`#/clocks/${customer.test_clock}`}>{customer.test_clock}</a>
                </dd>
              </>
            )}
            {Object.entries(customer.metadata).map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </>
            ))}
          </dl>

          <section aria-labelledby="credit-balance">
            <h2 id="credit-balance">Credit balance</h2>
            {balances.length === 0 ? (
              <Empty>No credits.</Empty>
            ) : (
              <ul class="cards">
                {balances.map((b) => (
                  <li class="card">
                    <span class="big">{money(b.available_balance.monetary.value, b.available_balance.monetary.currency)}</span> available
                    <br />
                    <span class="muted">ledger {money(b.ledger_balance.monetary.value, b.ledger_balance.monetary.currency)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="subscriptions">
            <h2 id="subscriptions">Subscriptions</h2>
            <Table
              rows={subscriptions}
              empty="No subscriptions."
              columns={subscriptionColumns(false)}
            />
          </section>

          {upcoming && (
            <section aria-labelledby="so-far">
              <h2 id="so-far">This period so far</h2>
              <p>
                {period(upcoming.period_start, upcoming.period_end)}: <strong>{money(upcoming.total, upcoming.currency)}</strong> so far
              </p>
              <Table
                rows={upcoming.lines.data}
                empty="No lines yet."
                columns={[
                  { label: 'Line', cell: (l) => l.description },
                  { label: 'Quantity', num: true, cell: (l) => quantity(l.quantity_decimal) },
                  { label: 'Amount', num: true, cell: (l) => money(l.amount, l.currency) },
                ]}
              />
              {upcoming.unpriced_usage && upcoming.unpriced_usage.length > 0 && <Unpriced usage={upcoming.unpriced_usage} meters={meters} />}
            </section>
          )}

          {meters.length > 0 && <CustomerUsage key={customer.id} customer={customer.id} meters={meters} clock={clock} />}

          <section aria-labelledby="invoices">
            <h2 id="invoices">Invoices</h2>
            <Table
              rows={invoices}
              empty="No invoices."
              columns={invoiceColumns(false)}
            />
            <a href={`#/invoices?customer=${customer.id}`}>All invoices of this customer</a>
          </section>

          <section aria-labelledby="grants">
            <h2 id="grants">Credit grants</h2>
            <Table
              rows={grants}
              empty="No credit grants."
              columns={[
                { label: 'Grant', cell: (g) => g.name ?? g.id },
                { label: 'Amount', num: true, cell: (g) => (g.amount.monetary ? money(g.amount.monetary.value, g.amount.monetary.currency) : '—') },
                { label: 'Expires', cell: (g) => <Time at={g.expires_at} /> },
                { label: 'State', cell: (g) => <StatusBadge status={g.voided_at ? 'void' : 'active'} /> },
                ...(canWrite
                  ? [
                      {
                        label: 'Actions',
                        cell: (g: CreditGrant) =>
                          !g.voided_at && (
                            <>
                              <ConfirmButton label="Expire" confirm={`Expire ${g.name ?? g.id} now?`} onConfirm={() => api.post(`/v1/billing/credit_grants/${g.id}/expire`).then(state.reload)} />{' '}
                              <ConfirmButton danger label="Void" confirm={`Void ${g.name ?? g.id}?`} onConfirm={() => api.post(`/v1/billing/credit_grants/${g.id}/void`).then(state.reload)} />
                            </>
                          ),
                      },
                    ]
                  : []),
              ]}
            />
          </section>

          {canWrite && <NewGrant customer={customer.id} onCreated={state.reload} />}

          <section aria-labelledby="ledger">
            <h2 id="ledger">Credit ledger</h2>
            <Table
              rows={ledger}
              empty="No credit transactions."
              columns={[
                { label: 'When', cell: (t) => <Time at={t.effective_at} /> },
                { label: 'Type', cell: (t) => (t.credit ?? t.debit)?.type.replace(/_/g, ' ') },
                {
                  label: 'Amount',
                  num: true,
                  cell: (t) => {
                    const amount = (t.credit ?? t.debit)?.amount.monetary;
                    return amount ? money(t.type === 'debit' ? -amount.value : amount.value, amount.currency) : '—';
                  },
                },
                {
                  label: 'Invoice',
                  cell: (t) => {
                    const invoice = t.debit?.credits_applied?.invoice;
                    return invoice ? <a href={`#/invoices/${invoice}`}>{invoice}</a> : '—';
                  },
                },
              ]}
            />
          </section>
        </>
      )}
    </Loaded>
  );
}

/** Usage of the subscription's meters that none of its prices bills: shown so that it is never lost silently. */
function Unpriced(props: { usage: UnpricedUsage[]; meters: Meter[] }) {
  const nameOf = (id: string) => props.meters.find((m) => m.id === id)?.display_name ?? id;
  return (
    <>
      <h3 id="unpriced">Unpriced usage (not billed)</h3>
      <p class="muted">Usage of the subscription's meters that none of its prices bills: it will not be on this invoice.</p>
      <table aria-labelledby="unpriced">
        <thead>
          <tr>
            <th scope="col">Meter</th>
            <th scope="col">Dimensions</th>
            <th scope="col" class="num">
              Quantity
            </th>
          </tr>
        </thead>
        <tbody>
          {props.usage.map((u) => {
            const values = Object.entries(u.dimensions);
            return (
              <tr>
                <td>
                  <a href={`#/meters/${u.meter}`}>{nameOf(u.meter)}</a>
                </td>
                <td>{values.length ? values.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none'}</td>
                <td class="num">{quantity(u.quantity_decimal ?? String(u.quantity))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/**
 * The customer's usage of each meter of its subscriptions over a range, from the usage analytics
 * API (all meters in the same requests), each broken down by one of its dimensions on demand. A customer
 * on a test clock has its ranges end at the clock's time, where its usage is.
 */
function CustomerUsage(props: { customer: string; meters: Meter[]; clock: TestClock | undefined }) {
  const { api } = useConsole();
  // Fixed when the section opens, so that the range does not move from one render to the next.
  const [now] = useState(() => props.clock?.frozen_time ?? Date.now() / 1000);
  const [range, setRange] = useState<Range>('30d');
  const [custom, setCustom] = useState({ from: day(now - 7 * DAY), to: day(now) });
  const [by, setBy] = useState<Record<string, string | undefined>>({});
  const state = useLoad(
    () => readMeterUsage(api, props.customer, windowOf(range, custom, now), props.meters.map((meter) => ({ meter, by: by[meter.id] }))),
    [props.customer, props.meters.map((m) => m.id).join(), now, range, range === 'custom' ? `${custom.from}/${custom.to}` : '', JSON.stringify(by)],
  );
  return (
    <section aria-labelledby="usage">
      <h2 id="usage">Usage</h2>
      {props.clock && (
        <p class="muted">
          Ranges end at the test clock's time, <Time at={props.clock.frozen_time} />.
        </p>
      )}
      <div class="controls">
        <RangeControls range={range} custom={custom} onRange={setRange} onCustom={setCustom} />
      </div>
      <Loaded state={state}>
        {(usages) => (
          <>
            {usages.map((usage) => (
              <MeterUsageCard usage={usage} by={by[usage.meter.id]} onBy={(key) => setBy({ ...by, [usage.meter.id]: key })} />
            ))}
          </>
        )}
      </Loaded>
    </section>
  );
}

/** One meter's usage on the customer page: its total, its chart and, broken down, each value's total. */
function MeterUsageCard(props: { usage: MeterUsage; by: string | undefined; onBy: (key: string | undefined) => void }) {
  const { usage } = props;
  const { meter } = usage;
  const heading = `usage-${meter.id}`;
  return (
    <section class="panel spaced" aria-labelledby={heading}>
      <h3 id={heading}>
        <a href={`#/meters/${meter.id}`}>{meter.display_name}</a>
      </h3>
      <div class="controls">
        <BreakdownSelect id={`break-down-${meter.id}`} meter={meter} value={props.by} onChange={props.onBy} />
      </div>
      <p>
        {meter.default_aggregation.formula === 'last' ? 'Last value' : 'Total'} over the range: <strong>{quantity(usage.total)}</strong>
      </p>
      {usage.series.every((s) => s.values.every((v) => v === 0)) ? (
        <Empty>No usage in this range.</Empty>
      ) : (
        <Suspense fallback={<p class="muted">Loading chart…</p>}>
          <UsageChart times={usage.times} series={usage.series} label={`${meter.display_name} per bucket${usage.by ? ` by ${usage.by}` : ''}`} />
        </Suspense>
      )}
      <BreakdownTable usage={usage} label={`${meter.display_name} usage by ${usage.by}`} />
    </section>
  );
}

/** Prepaid credits for a customer's metered usage (Stripe's paid or promotional credit grant). */
function NewGrant(props: { customer: string; onCreated: () => void }) {
  const { api } = useConsole();
  const { message, run } = useOutcome();
  return (
    <form
      class="panel"
      aria-labelledby="new-grant"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        const expires = String(form.get('expires') || '');
        void run(async () => {
          const grant = await api.post<CreditGrant>('/v1/billing/credit_grants', {
            customer: props.customer,
            name: form.get('name') || undefined,
            category: form.get('category'),
            amount: { type: 'monetary', monetary: { currency: form.get('currency'), value: form.get('value') } },
            applicability_config: { scope: { price_type: 'metered' } },
            expires_at: expires ? Math.floor(Date.parse(`${expires}T00:00:00Z`) / 1000) : undefined,
          });
          props.onCreated();
          return `Granted ${grant.name ?? grant.id}.`;
        });
      }}
    >
      <h2 id="new-grant">New credit grant</h2>
      <label for="grant-name">Grant name</label>
      <input id="grant-name" name="name" maxLength={100} />
      <label for="grant-category">Category</label>
      <select id="grant-category" name="category">
        <option value="paid">Paid</option>
        <option value="promotional">Promotional</option>
      </select>
      <label for="grant-currency">Currency</label>
      <input id="grant-currency" name="currency" value="usd" required />
      <label for="grant-value">Amount (minor units)</label>
      <input id="grant-value" name="value" inputMode="numeric" required />
      <label for="grant-expires">Expires on (UTC, optional)</label>
      <input id="grant-expires" name="expires" type="date" />
      <button type="submit" class="primary">
        Grant credits
      </button>
      <Outcome message={message} />
    </form>
  );
}
