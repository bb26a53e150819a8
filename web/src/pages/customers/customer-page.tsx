import { useConsole } from '../../app';
import type { List } from '../../api';
import { money, period, quantity } from '../../format';
import type { CreditGrant, CreditTransaction, Customer, Invoice, Subscription } from '../../model';
import { ConfirmButton, Empty, Loaded, StatusBadge, Time, useLoad } from '../../ui';

interface Balances {
  balances: { available_balance: { monetary: { currency: string; value: number } }; ledger_balance: { monetary: { currency: string; value: number } } }[];
}

/** A customer: details, subscriptions, this period so far, invoices, credits. A bounded number of calls, whatever the data. */
export function CustomerPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const customer = await api.get<Customer>(`/v1/customers/${props.id}`);
    const [subscriptions, invoices, grants, ledger, balances] = await Promise.all([
      api.get<List<Subscription>>('/v1/subscriptions', { customer: props.id, status: 'all', limit: 20 }),
      api.get<List<Invoice>>('/v1/invoices', { customer: props.id, limit: 10 }),
      api.get<List<CreditGrant>>('/v1/billing/credit_grants', { customer: props.id, limit: 20 }),
      api.get<List<CreditTransaction>>('/v1/billing/credit_balance_transactions', { customer: props.id, limit: 20 }),
      api.get<Balances>('/v1/billing/credit_balance_summary', { customer: props.id, filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } }),
    ]);
    const active = subscriptions.data.find((s) => s.status === 'active');
    const upcoming = active ? await api.post<Invoice>('/v1/invoices/create_preview', { customer: props.id, subscription: active.id }).catch(() => undefined) : undefined;
    return { customer, subscriptions: subscriptions.data, invoices: invoices.data, grants: grants.data, ledger: ledger.data, balances: balances.balances, upcoming };
  }, [props.id]);

  return (
    <Loaded state={state}>
      {({ customer, subscriptions, invoices, grants, ledger, balances, upcoming }) => (
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
            {subscriptions.length === 0 ? (
              <Empty>No subscriptions.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Subscription</th>
                    <th scope="col">Status</th>
                    <th scope="col">Prices</th>
                    <th scope="col">Current period</th>
                  </tr>
                </thead>
                <tbody>
                  {subscriptions.map((s) => (
                    <tr key={s.id}>
                      <td>{s.id}</td>
                      <td>
                        <StatusBadge status={s.status} />
                      </td>
                      <td>{s.items.data.map((i) => i.price.nickname ?? i.price.id).join(', ')}</td>
                      <td>{s.items.data[0] ? period(s.items.data[0].current_period_start, s.items.data[0].current_period_end) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          {upcoming && (
            <section aria-labelledby="so-far">
              <h2 id="so-far">This period so far</h2>
              <p>
                {period(upcoming.period_start, upcoming.period_end)}: <strong>{money(upcoming.total, upcoming.currency)}</strong> so far
              </p>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col" class="num">Quantity</th>
                    <th scope="col" class="num">Amount</th>
                  </tr>
                </thead>
                <tbody>
                  {upcoming.lines.data.map((l) => (
                    <tr key={l.id}>
                      <td>{l.description}</td>
                      <td class="num">{quantity(l.quantity_decimal)}</td>
                      <td class="num">{money(l.amount, l.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}

          <section aria-labelledby="invoices">
            <h2 id="invoices">Invoices</h2>
            {invoices.length === 0 ? (
              <Empty>No invoices.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col">Status</th>
                    <th scope="col">Period</th>
                    <th scope="col" class="num">Total</th>
                  </tr>
                </thead>
                <tbody>
                  {invoices.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <a href={`#/invoices/${i.id}`}>{i.number ?? i.id}</a>
                      </td>
                      <td>
                        <StatusBadge status={i.status} />
                      </td>
                      <td>{period(i.period_start, i.period_end)}</td>
                      <td class="num">{money(i.total, i.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <a href={`#/invoices?customer=${customer.id}`}>All invoices of this customer</a>
          </section>

          <section aria-labelledby="grants">
            <h2 id="grants">Credit grants</h2>
            {grants.length === 0 ? (
              <Empty>No credit grants.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Grant</th>
                    <th scope="col" class="num">Amount</th>
                    <th scope="col">Expires</th>
                    <th scope="col">State</th>
                    {canWrite && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {grants.map((g) => (
                    <tr key={g.id}>
                      <td>{g.name ?? g.id}</td>
                      <td class="num">{g.amount.monetary ? money(g.amount.monetary.value, g.amount.monetary.currency) : '—'}</td>
                      <td>
                        <Time at={g.expires_at} />
                      </td>
                      <td>{g.voided_at ? <StatusBadge status="void" /> : <StatusBadge status="active" />}</td>
                      {canWrite && (
                        <td>
                          {!g.voided_at && (
                            <>
                              <ConfirmButton label="Expire" confirm={`Expire ${g.name ?? g.id} now?`} onConfirm={() => api.post(`/v1/billing/credit_grants/${g.id}/expire`).then(state.reload)} />{' '}
                              <ConfirmButton danger label="Void" confirm={`Void ${g.name ?? g.id}?`} onConfirm={() => api.post(`/v1/billing/credit_grants/${g.id}/void`).then(state.reload)} />
                            </>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <section aria-labelledby="ledger">
            <h2 id="ledger">Credit ledger</h2>
            {ledger.length === 0 ? (
              <Empty>No credit transactions.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Type</th>
                    <th scope="col" class="num">Amount</th>
                    <th scope="col">Invoice</th>
                  </tr>
                </thead>
                <tbody>
                  {ledger.map((t) => {
                    const side = t.credit ?? t.debit;
                    const amount = side?.amount.monetary;
                    const invoice = t.debit?.credits_applied?.invoice;
                    return (
                      <tr key={t.id}>
                        <td>
                          <Time at={t.effective_at} />
                        </td>
                        <td>{side?.type.replace(/_/g, ' ')}</td>
                        <td class="num">{amount ? money(t.type === 'debit' ? -amount.value : amount.value, amount.currency) : '—'}</td>
                        <td>{invoice ? <a href={`#/invoices/${invoice}`}>{invoice}</a> : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </Loaded>
  );
}
