import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import { money } from '../../format';
import type { Customer, Meter } from '../../model';
import { ConfirmButton, Loaded, Outcome, StatusBadge, Table, Time, useLoad, useOutcome } from '../../ui';

interface Alert {
  id: string;
  title: string;
  status: 'active' | 'inactive' | 'archived';
  alert_type: 'usage_threshold' | 'credit_balance_threshold';
  usage_threshold: { meter: string; gte: number; filters: { customer: string }[] | null } | null;
  credit_balance_threshold: { filters: { customer: string }[] | null; lte: { monetary: { currency: string; value: number } } } | null;
}

interface Triggered {
  id: string;
  created: number;
  data: { object: { alert: { id: string }; customer: string; value: number } };
}

/** What an alert watches, in words. */
function condition(alert: Alert, meters: Map<string, Meter>): string {
  const usage = alert.usage_threshold;
  if (usage) return `${meters.get(usage.meter)?.display_name ?? usage.meter} at or above ${usage.gte}${usage.filters?.[0] ? ` for ${usage.filters[0].customer}` : ''}`;
  const credit = alert.credit_balance_threshold!;
  return `credit balance of ${credit.filters?.[0]?.customer ?? 'a customer'} at or below ${money(credit.lte.monetary.value, credit.lte.monetary.currency)}`;
}

/** Alerts: what each watches, the customers that triggered it, create, activate, deactivate, archive. Four API calls, whatever the data. */
export function AlertList() {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const [alerts, meters, customers, triggered] = await Promise.all([
      api.get<List<Alert>>('/v1/billing/alerts', { limit: 100 }),
      api.get<List<Meter>>('/v1/billing/meters', { limit: 100, status: 'active' }),
      api.get<List<Customer>>('/v1/customers', { limit: 100 }),
      api.get<List<Triggered>>('/v1/events', { type: 'billing.alert.triggered', limit: 100 }),
    ]);
    return { alerts: alerts.data, meters: meters.data, customers: customers.data, triggered: triggered.data };
  }, []);
  const act = (alert: Alert, action: string) => api.post(`/v1/billing/alerts/${alert.id}/${action}`).then(state.reload);
  return (
    <section>
      <h1>Alerts</h1>
      <Loaded state={state}>
        {({ alerts, meters, customers, triggered }) => {
          const meterById = new Map(meters.map((m) => [m.id, m]));
          return (
            <>
              <Table
                rows={alerts}
                empty="No alerts yet."
                columns={[
                  { label: 'Alert', cell: (a) => a.title },
                  { label: 'When', cell: (a) => condition(a, meterById) },
                  { label: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
                  {
                    label: 'Triggered by',
                    cell: (a) => {
                      const hits = triggered.filter((e) => e.data.object.alert.id === a.id);
                      return hits.length === 0 ? '—' : hits.map((e) => (
                        <span>
                          <a href={`#/customers/${e.data.object.customer}`}>{e.data.object.customer}</a> (<Time at={e.created} />){' '}
                        </span>
                      ));
                    },
                  },
                  ...(canWrite
                    ? [
                        {
                          label: 'Actions',
                          cell: (a: Alert) =>
                            a.status !== 'archived' && (
                              <span class="actions">
                                {a.status === 'active' ? (
                                  <ConfirmButton label="Deactivate" confirm={`Deactivate ${a.title}?`} onConfirm={() => act(a, 'deactivate')} />
                                ) : (
                                  <ConfirmButton label="Activate" confirm={`Activate ${a.title}?`} onConfirm={() => act(a, 'activate')} />
                                )}
                                <ConfirmButton danger label="Archive" confirm={`Archive ${a.title}? It cannot be undone.`} onConfirm={() => act(a, 'archive')} />
                              </span>
                            ),
                        },
                      ]
                    : []),
                ]}
              />
              {canWrite && <NewAlert meters={meters} customers={customers} onCreated={state.reload} />}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** A usage threshold on a meter (optionally one customer), or a credit balance threshold of a customer. */
function NewAlert(props: { meters: Meter[]; customers: Customer[]; onCreated: () => void }) {
  const { api } = useConsole();
  const [type, setType] = useState<'usage_threshold' | 'credit_balance_threshold'>('usage_threshold');
  const { message, run } = useOutcome();
  return (
    <form
      class="panel"
      aria-labelledby="new-alert"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        const customer = String(form.get('customer') || '');
        const params =
          type === 'usage_threshold'
            ? { usage_threshold: { meter: form.get('meter'), gte: form.get('gte'), recurrence: 'one_time', ...(customer ? { filters: { 0: { type: 'customer', customer } } } : {}) } }
            : {
                credit_balance_threshold: {
                  filters: { 0: { type: 'customer', customer } },
                  lte: { balance_type: 'monetary', monetary: { currency: form.get('currency'), value: form.get('value') } },
                },
              };
        void run(async () => {
          await api.post('/v1/billing/alerts', { alert_type: type, title: form.get('title'), ...params });
          props.onCreated();
          return 'Alert created.';
        });
      }}
    >
      <h2 id="new-alert">New alert</h2>
      <label for="alert-type">Type</label>
      <select id="alert-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as typeof type)}>
        <option value="usage_threshold">Usage threshold</option>
        <option value="credit_balance_threshold">Credit balance threshold</option>
      </select>
      <label for="alert-title">Title</label>
      <input id="alert-title" name="title" required maxLength={256} />
      {type === 'usage_threshold' ? (
        <>
          <label for="alert-meter">Meter</label>
          <select id="alert-meter" name="meter">
            {props.meters.map((m) => (
              <option value={m.id}>{m.display_name}</option>
            ))}
          </select>
          <label for="alert-gte">At or above</label>
          <input id="alert-gte" name="gte" inputMode="numeric" required />
        </>
      ) : (
        <>
          <label for="alert-currency">Currency</label>
          <input id="alert-currency" name="currency" value="usd" required />
          <label for="alert-value">At or below (minor units)</label>
          <input id="alert-value" name="value" inputMode="numeric" required />
        </>
      )}
      <label for="alert-customer">Customer{type === 'usage_threshold' ? ' (optional)' : ''}</label>
      <select id="alert-customer" name="customer">
        {type === 'usage_threshold' && <option value="">Every customer</option>}
        {props.customers.map((c) => (
          <option value={c.id}>{c.name ? `${c.name} (${c.id})` : c.id}</option>
        ))}
      </select>
      <button type="submit" class="primary">
        Create alert
      </button>
      <Outcome message={message} />
    </form>
  );
}
