import { lazy, Suspense } from 'preact/compat';
import { Loaded } from '../../ui';
import './webhooks.css';

/** Each page is a chunk of its own, loaded on its first visit: the console's first page does not carry them. */
const EndpointList = lazy(() => import('./endpoint-list'));
const EndpointPage = lazy(() => import('./endpoint-page'));

/** `#/webhooks` and `#/webhooks/:id`. */
export function Webhooks(props: { id?: string }) {
  return <Suspense fallback={<Loaded state={{ loading: true }}>{() => null}</Loaded>}>{props.id ? <EndpointPage id={props.id} /> : <EndpointList />}</Suspense>;
}
