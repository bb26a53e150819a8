import { useConsole } from '../../app';
import type { List } from '../../api';
import { money, period } from '../../format';
import type { Invoice } from '../../model';
import { PagedTable, StatusBadge, usePaged } from '../../ui';

const TABS = [undefined, 'draft', 'open', 'paid', 'void', 'uncollectible'] as const;

/** Invoices by status, optionally of one customer. */
export function InvoiceList(props: { status?: string; customer?: string }) {
  const { api } = useConsole();
  const paged = usePaged(
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
      <PagedTable
        paged={paged}
        empty="No invoices."
        columns={[
          { label: 'Invoice', cell: (i) => <a href={`#/invoices/${i.id}`}>{i.number ?? i.id}</a> },
          { label: 'Customer', cell: (i) => <a href={`#/customers/${i.customer}`}>{i.customer_name ?? i.customer}</a> },
          { label: 'Status', cell: (i) => <StatusBadge status={i.status} /> },
          { label: 'Period', cell: (i) => period(i.period_start, i.period_end) },
          { label: 'Total', num: true, cell: (i) => money(i.total, i.currency) },
          { label: 'Amount due', num: true, cell: (i) => money(i.amount_due, i.currency) },
        ]}
      />
    </section>
  );
}
