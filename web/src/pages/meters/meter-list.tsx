import { useConsole } from '../../app';
import type { List } from '../../api';
import type { Meter } from '../../model';
import { Empty, Loaded, Pager, StatusBadge, Time, usePaged } from '../../ui';

export function MeterList() {
  const { api } = useConsole();
  const { state, pager } = usePaged((cursor) => api.get<List<Meter>>('/v1/billing/meters', { limit: 25, ...cursor }), []);
  return (
    <section>
      <h1>Meters</h1>
      <Loaded state={state}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No meters yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Meter</th>
                  <th scope="col">Event name</th>
                  <th scope="col">Aggregation</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <a href={`#/meters/${m.id}`}>{m.display_name}</a>
                    </td>
                    <td>
                      <code>{m.event_name}</code>
                    </td>
                    <td>{m.default_aggregation.formula}</td>
                    <td>
                      <StatusBadge status={m.status} />
                    </td>
                    <td>
                      <Time at={m.created} />
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
