import { useConsole } from '../../app';
import type { List } from '../../api';
import { Empty, Loaded, Pager, Time, usePaged } from '../../ui';
import type { Customer } from '../../model';

export function CustomerList() {
  const { api } = useConsole();
  const { state, pager } = usePaged((cursor) => api.get<List<Customer>>('/v1/customers', { limit: 25, ...cursor }), []);
  return (
    <section>
      <h1>Customers</h1>
      <Loaded state={state}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No customers yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <a href={`#/customers/${c.id}`}>{c.name ?? c.id}</a>
                    </td>
                    <td>{c.email ?? '—'}</td>
                    <td>
                      <Time at={c.created} />
                    </td>
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
