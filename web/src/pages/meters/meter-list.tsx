import { useConsole } from '../../app';
import type { List } from '../../api';
import type { Meter } from '../../model';
import { PagedTable, StatusBadge, Time, usePaged } from '../../ui';

export function MeterList() {
  const { api } = useConsole();
  const paged = usePaged((cursor) => api.get<List<Meter>>('/v1/billing/meters', { limit: 25, ...cursor }), []);
  return (
    <section>
      <h1>Meters</h1>
      <PagedTable
        paged={paged}
        empty="No meters yet."
        columns={[
          { label: 'Meter', cell: (m) => <a href={`#/meters/${m.id}`}>{m.display_name}</a> },
          { label: 'Event name', cell: (m) => <code>{m.event_name}</code> },
          { label: 'Aggregation', cell: (m) => m.default_aggregation.formula },
          { label: 'Status', cell: (m) => <StatusBadge status={m.status} /> },
          { label: 'Created', cell: (m) => <Time at={m.created} /> },
        ]}
      />
    </section>
  );
}
