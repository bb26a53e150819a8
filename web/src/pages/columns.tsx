import { money, period } from '../format';
import type { Invoice, Subscription } from '../model';
import { StatusBadge, type Column } from '../ui';

/** The columns every list of subscriptions shows (a customer's, a clock's), with the customer when the list mixes customers. */
export function subscriptionColumns(withCustomer: boolean): Column<Subscription>[] {
  return [
    { label: 'Subscription', cell: (s) => s.id },
    ...(withCustomer ? [{ label: 'Customer', cell: (s: Subscription) => <a href={`#/customers/${s.customer}`}>{s.customer}</a> }] : []),
    { label: 'Status', cell: (s) => <StatusBadge status={s.status} /> },
    { label: 'Prices', cell: (s) => s.items.data.map((i) => i.price.nickname ?? i.price.id).join(', ') },
    { label: 'Current period', cell: (s) => (s.items.data[0] ? period(s.items.data[0].current_period_start, s.items.data[0].current_period_end) : '—') },
  ];
}

/** The columns every list of invoices shows (a customer's, a clock's), with the customer when the list mixes customers. */
export function invoiceColumns(withCustomer: boolean): Column<Invoice>[] {
  return [
    { label: 'Invoice', cell: (i) => <a href={`#/invoices/${i.id}`}>{i.number ?? i.id}</a> },
    ...(withCustomer ? [{ label: 'Customer', cell: (i: Invoice) => i.customer_name ?? i.customer }] : []),
    { label: 'Status', cell: (i) => <StatusBadge status={i.status} /> },
    { label: 'Period', cell: (i) => period(i.period_start, i.period_end) },
    { label: 'Total', num: true, cell: (i) => money(i.total, i.currency) },
  ];
}
