import { useConsole } from '../../app';
import type { List } from '../../api';
import type { TestClock } from '../../model';
import { Empty, PagedTable, StatusBadge, Time, usePaged } from '../../ui';

export function ClockList() {
  const { api, mode } = useConsole();
  const paged = usePaged((cursor) => (mode === 'live' ? Promise.resolve({ data: [], has_more: false }) : api.get<List<TestClock>>('/v1/test_helpers/test_clocks', { limit: 25, ...cursor })), [mode]);
  return (
    <section>
      <h1>Test clocks</h1>
      {mode === 'live' ? (
        <Empty>Test clocks exist in test mode only.</Empty>
      ) : (
        <PagedTable
          paged={paged}
          empty="No test clocks."
          columns={[
            { label: 'Clock', cell: (c) => <a href={`#/clocks/${c.id}`}>{c.name ?? c.id}</a> },
            { label: 'Frozen time', cell: (c) => <Time at={c.frozen_time} /> },
            { label: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
          ]}
        />
      )}
    </section>
  );
}
