import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import type { Customer } from '../../model';
import { PagedTable, Time, usePaged } from '../../ui';

/** Customers, newest first, or those with one email (the API's `email` filter reads an index). */
export function CustomerList() {
  const { api } = useConsole();
  const [email, setEmail] = useState('');
  const [query, setQuery] = useState<string>();
  const paged = usePaged((cursor) => api.get<List<Customer>>('/v1/customers', { limit: 25, email: query, ...cursor }), [query]);
  return (
    <section>
      <h1>Customers</h1>
      <form
        class="controls"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(email.trim() || undefined);
        }}
      >
        <label for="customer-email">Search by email</label>
        <input id="customer-email" type="search" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      <PagedTable
        paged={paged}
        empty={query ? `No customer has the email ${query}.` : 'No customers yet.'}
        columns={[
          { label: 'Name', cell: (c) => <a href={`#/customers/${c.id}`}>{c.name ?? c.id}</a> },
          { label: 'Email', cell: (c) => c.email ?? '—' },
          { label: 'Created', cell: (c) => <Time at={c.created} /> },
        ]}
      />
    </section>
  );
}
