import { useConsole } from '../../app';
import type { List } from '../../api';
import type { TestClock } from '../../model';
import { Empty, Loaded, Pager, StatusBadge, Time, usePaged } from '../../ui';

export function ClockList() {
  const { api, mode } = useConsole();
  const { state, pager } = usePaged((cursor) => (mode === 'live' ? Promise.resolve({ data: [], has_more: false }) : api.get<List<TestClock>>('/v1/test_helpers/test_clocks', { limit: 25, ...cursor })), [mode]);
  return (
    <section>
      <h1>Test clocks</h1>
      {mode === 'live' ? (
        <Empty>Test clocks exist in test mode only.</Empty>
      ) : (
        <Loaded state={state}>
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No test clocks.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Clock</th>
                    <th scope="col">Frozen time</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <a href={`#/clocks/${c.id}`}>{c.name ?? c.id}</a>
                      </td>
                      <td>
                        <Time at={c.frozen_time} />
                      </td>
                      <td>
                        <StatusBadge status={c.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      )}
      <Pager {...pager} />
    </section>
  );
}
