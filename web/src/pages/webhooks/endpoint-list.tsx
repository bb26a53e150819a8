import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import type { CreatedWebhookEndpoint, WebhookEndpoint } from '../../model';
import { Outcome, PagedTable, StatusBadge, Time, usePaged, useOutcome } from '../../ui';
import { enabledEventsText, typesOf } from './enabled-events';

/** Webhook endpoints, newest first, and "Add endpoint", whose signing secret is shown once, right after. */
export default function EndpointList() {
  const { api, canWrite } = useConsole();
  const paged = usePaged((cursor) => api.get<List<WebhookEndpoint>>('/v1/webhook_endpoints', { limit: 25, ...cursor }), []);
  const [created, setCreated] = useState<CreatedWebhookEndpoint>();
  return (
    <section>
      <h1>Webhooks</h1>
      {created && <SecretOnce endpoint={created} onDone={() => setCreated(undefined)} />}
      <PagedTable
        paged={paged}
        empty="No webhook endpoints yet."
        columns={[
          { label: 'URL', cell: (e) => <a href={`#/webhooks/${e.id}`}>{e.url}</a> },
          { label: 'Events', cell: (e) => enabledEventsText(e.enabled_events) },
          { label: 'Description', cell: (e) => e.description ?? '—' },
          { label: 'Status', cell: (e) => <StatusBadge status={e.status} /> },
          { label: 'Created', cell: (e) => <Time at={e.created} /> },
        ]}
      />
      {canWrite && (
        <NewEndpoint
          onCreated={(endpoint) => {
            setCreated(endpoint);
            paged.state.reload();
          }}
        />
      )}
    </section>
  );
}

/** The new endpoint's signing secret: Meterline shows it this once (as Stripe does), and the console keeps it nowhere. */
function SecretOnce(props: { endpoint: CreatedWebhookEndpoint; onDone: () => void }) {
  return (
    <section class="panel" aria-labelledby="new-secret-heading">
      <h2 id="new-secret-heading">Endpoint added</h2>
      <p>
        Copy the signing secret of <a href={`#/webhooks/${props.endpoint.id}`}>{props.endpoint.url}</a> now: it is not shown again. Your
        receiver verifies each delivery with it (<code>stripe.webhooks.constructEvent</code>).
      </p>
      <label for="new-secret">Signing secret</label>
      <input id="new-secret" class="secret" readOnly value={props.endpoint.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <p>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </p>
    </section>
  );
}

/** A new endpoint: its URL, every event type (`*`) or a list of types, and a description. */
function NewEndpoint(props: { onCreated: (endpoint: CreatedWebhookEndpoint) => void }) {
  const { api } = useConsole();
  const [every, setEvery] = useState(true);
  const { message, run } = useOutcome();
  return (
    <form
      class="panel"
      aria-labelledby="new-endpoint"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.target as HTMLFormElement;
        const data = new FormData(form);
        const description = String(data.get('description') ?? '').trim();
        void run(async () => {
          const endpoint = await api.post<CreatedWebhookEndpoint>('/v1/webhook_endpoints', {
            url: String(data.get('url') ?? '').trim(),
            enabled_events: every ? ['*'] : typesOf(String(data.get('types') ?? '')),
            description: description || undefined,
          });
          form.reset();
          setEvery(true);
          props.onCreated(endpoint);
          return `Endpoint ${endpoint.url} added.`;
        });
      }}
    >
      <h2 id="new-endpoint">Add an endpoint</h2>
      <label for="endpoint-url">Endpoint URL</label>
      <input id="endpoint-url" class="wide" name="url" type="url" required maxLength={5000} placeholder="https://example.com/webhooks" />
      <fieldset>
        <legend>Events to send</legend>
        <label>
          <input type="radio" name="which" checked={every} onChange={() => setEvery(true)} /> Every event type
        </label>
        <label>
          <input type="radio" name="which" checked={!every} onChange={() => setEvery(false)} /> Only these types
        </label>
        <label for="endpoint-types">Event types, separated by commas</label>
        <input id="endpoint-types" class="wide" name="types" disabled={every} required={!every} placeholder="invoice.finalized, customer.created" />
      </fieldset>
      <label for="endpoint-description">Description (optional)</label>
      <input id="endpoint-description" class="wide" name="description" maxLength={5000} />
      <p>
        <button type="submit" class="primary">
          Add endpoint
        </button>
      </p>
      <Outcome message={message} />
    </form>
  );
}
