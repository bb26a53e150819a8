import { useConsole } from '../../app';
import type { StripeEvent } from '../../model';
import { Loaded, Time, useLoad } from '../../ui';
import { RelatedObject, relatedCustomer } from './related';
import './events.css';

/** An event: what it is about, the request that made it, and the whole event as JSON (what a webhook receives). */
export default function EventPage(props: { id: string }) {
  const { api } = useConsole();
  const state = useLoad(() => api.get<StripeEvent>(`/v1/events/${props.id}`), [props.id]);
  return (
    <section>
      <p>
        <a href="#/events">All events</a>
      </p>
      <Loaded state={state}>
        {(event) => {
          const customer = relatedCustomer(event);
          return (
            <>
              <h1>{event.type}</h1>
              <dl class="facts">
                <dt>ID</dt>
                <dd>
                  <code>{event.id}</code>
                </dd>
                <dt>Created</dt>
                <dd>
                  <Time at={event.created} />
                </dd>
                <dt>Object</dt>
                <dd>
                  {event.data.object.object ?? 'object'} <RelatedObject event={event} />
                </dd>
                {customer && (
                  <>
                    <dt>Customer</dt>
                    <dd>
                      <a href={`#/customers/${customer}`}>{customer}</a>
                    </dd>
                  </>
                )}
                <dt>Request</dt>
                <dd>
                  {event.request.id ? <code>{event.request.id}</code> : 'Automatic (no API request)'}
                  {event.request.idempotency_key && (
                    <>
                      {' '}
                      with Idempotency-Key <code>{event.request.idempotency_key}</code>
                    </>
                  )}
                </dd>
                <dt>Webhooks pending</dt>
                <dd>{event.pending_webhooks}</dd>
              </dl>
              <h2 id="event-json">Event data</h2>
              {/* Focusable, so that a keyboard can scroll it. */}
              <pre class="json" tabIndex={0} aria-labelledby="event-json" role="region">
                {JSON.stringify(event, null, 2)}
              </pre>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
