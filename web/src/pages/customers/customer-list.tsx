import { useConsole } from '../../app';
import type { List } from '../../api';
import type { Customer } from '../../model';
import { PagedTable, Time, usePaged } from '../../ui';

export function CustomerList() {
  const { api } = useConsole();
  const paged = usePaged((cursor) => api.get<List<Customer>>('/v1/customers', { limit: 25, ...cursor }), []);
  return (
    <section>
      <h1>Customers</h1>
      <PagedTable
        paged={paged}
        empty="No customers yet."
        columns={[
          { label: 'Name', cell: (c) => <a href={`#/customers/${c.id}`}>{c.name ?? c.id}</a> },
          { label: 'Email', cell: (c) => c.email ?? '—' },
          { label: 'Created', cell: (c) => <Time at={c.created} /> },
        ]}
      />
    </section>
  );
}
