import { lazy, Suspense } from 'preact/compat';
import { Loaded } from '../../ui';

/** Each page is a chunk of its own, loaded on its first visit: the console's first page does not carry them. */
const EventList = lazy(() => import('./event-list'));
const EventPage = lazy(() => import('./event-page'));

/** `#/events` (filters from the route's query: `type`, `from`, `to`; new filters, a new list) and `#/events/:id`. */
export function Events(props: { id?: string; query: URLSearchParams }) {
  return (
    <Suspense fallback={<Loaded state={{ loading: true }}>{() => null}</Loaded>}>
      {props.id ? <EventPage id={props.id} /> : <EventList key={props.query.toString()} type={props.query.get('type') ?? ''} from={props.query.get('from') ?? ''} to={props.query.get('to') ?? ''} />}
    </Suspense>
  );
}
