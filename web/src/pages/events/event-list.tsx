import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import type { StripeEvent } from '../../model';
import { PagedTable, Time, usePaged } from '../../ui';
import { RelatedObject } from './related';

const DAY = 86_400;

/** Unix seconds of the start of a `YYYY-MM-DD` day in UTC; undefined for no day. */
const dayStart = (day: string) => (day ? Date.parse(`${day}T00:00:00Z`) / 1000 : undefined);

/**
 * Events of the last 30 days, newest first, a page at a time: filtered by type (a name, or a
 * pattern such as `invoice.*`) and by UTC days (`from` and `to` inclusive). The filters live in
 * the route (`#/events?type=…&from=…&to=…`), so that going back to the list keeps them.
 */
export default function EventList(props: { type: string; from: string; to: string }) {
  const { api } = useConsole();
  const [type, setType] = useState(props.type);
  const [from, setFrom] = useState(props.from);
  const [to, setTo] = useState(props.to);
  const until = dayStart(props.to);
  const paged = usePaged(
    (cursor) =>
      api.get<List<StripeEvent>>('/v1/events', {
        limit: 25,
        type: props.type || undefined,
        created: { gte: dayStart(props.from), lt: until === undefined ? undefined : until + DAY },
        ...cursor,
      }),
    [props.type, props.from, props.to],
  );
  const filtered = Boolean(props.type || props.from || props.to);
  return (
    <section>
      <h1>Events</h1>
      <form
        class="controls"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          const query = new URLSearchParams(Object.entries({ type: type.trim(), from, to }).filter(([, value]) => value));
          location.hash = `#/events${query.toString() ? `?${query}` : ''}`;
        }}
      >
        <span>
          <label for="event-type">Type</label>
          <input id="event-type" value={type} placeholder="invoice.* or customer.created" aria-describedby="event-type-help" onInput={(e) => setType((e.target as HTMLInputElement).value)} />
        </span>
        <span>
          <label for="event-from">From (UTC)</label>
          <input id="event-from" type="date" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </span>
        <span>
          <label for="event-to">To (UTC)</label>
          <input id="event-to" type="date" value={to} min={from || undefined} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </span>
        <button type="submit">Filter</button>
        {filtered && <a href="#/events">Clear filters</a>}
      </form>
      <p id="event-type-help" class="muted">
        A type such as <code>customer.created</code>, or a pattern such as <code>invoice.*</code>. Events are kept 30 days.
      </p>
      <PagedTable
        paged={paged}
        empty={filtered ? 'No events match these filters.' : 'No events in the last 30 days.'}
        columns={[
          { label: 'Event', cell: (e) => <a href={`#/events/${e.id}`}>{e.type}</a> },
          { label: 'Object', cell: (e) => <RelatedObject event={e} /> },
          { label: 'Created', cell: (e) => <Time at={e.created} /> },
        ]}
      />
    </section>
  );
}
