import { useConsole } from '../../app';
import type { List } from '../../api';
import { money, period } from '../../format';
import type { Invoice } from '../../model';
import { Empty, Loaded, Pager, StatusBadge, usePaged } from '../../ui';

const TABS = [undefined, 'draft', 'open', 'paid', 'void', 'uncollectible'] as const;

/** Invoices by status, optionally of one customer. */
export function InvoiceList(props: { status?: string; customer?: string }) {
  const { api } = useConsole();
  const { state, pager } = usePaged(
    (cursor) => api.get<List<Invoice>>('/v1/invoices', { limit: 25, status: props.status, customer: props.customer, ...cursor }),
    [props.status, props.customer],
  );
  const link = (status?: string) => `#/invoices?${new URLSearchParams({ ...(status ? { status } : {}), ...(props.customer ? { customer: props.customer } : {}) })}`;
  return (
    <section>
      <h1>Invoices{props.customer ? ` of ${props.customer}` : ''}</h1>
      <nav class="tabs" aria-label="Invoice status">
        {TABS.map((status) => (
          <a href={link(status)} aria-current={status === props.status ? 'page' : undefined}>
            {status ?? 'All'}
          </a>
        ))}
      </nav>
      <Loaded state={state}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No invoices.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Invoice</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Status</th>
                  <th scope="col">Period</th>
                  <th scope="col" class="num">Total</th>
                  <th scope="col" class="num">Amount due</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <a href={`#/invoices/${i.id}`}>{i.number ?? i.id}</a>
                    </td>
                    <td>
                      <a href={`#/customers/${i.customer}`}>{i.customer_name ?? i.customer}</a>
                    </td>
                    <td>
                      <StatusBadge status={i.status} />
                    </td>
                    <td>{period(i.period_start, i.period_end)}</td>
                    <td class="num">{money(i.total, i.currency)}</td>
                    <td class="num">{money(i.amount_due, i.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <Pager {...pager} />
    </section>
  );
}
