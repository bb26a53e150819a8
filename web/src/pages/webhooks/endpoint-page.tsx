import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import type { WebhookAttempt, WebhookEndpoint, WebhookResend } from '../../model';
import { ConfirmButton, Loaded, Outcome, PagedTable, StatusBadge, Time, useLoad, usePaged, useOutcome, type Column } from '../../ui';
import { enabledEventsText } from './enabled-events';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A webhook endpoint: what it takes, disable or enable, delete, and its delivery attempts (a page
 * at a time, newest first) with "Resend" on each attempt's event.
 */
export default function EndpointPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const path = `/v1/webhook_endpoints/${props.id}`;
  const state = useLoad(() => api.get<WebhookEndpoint>(path), [props.id]);
  const attempts = usePaged((cursor) => api.get<List<WebhookAttempt>>(`${path}/attempts`, { limit: 25, ...cursor }), [props.id]);
  const { message, run } = useOutcome();

  /** Resends an attempt's event, then waits (a few seconds at most) for the new attempt to show. */
  const resend = (attempt: WebhookAttempt) =>
    run(async () => {
      const made = await api.post<WebhookResend>(`${path}/resend`, { event: attempt.event });
      for (let i = 0; i < 20; i++) {
        await sleep(500);
        const latest = await api.get<List<WebhookAttempt>>(`${path}/attempts`, { limit: 10 });
        if (latest.data.some((a) => a.resend === made.id)) break;
      }
      attempts.state.reload();
      return `Resent ${attempt.event_type} (${attempt.event}).`;
    });

  return (
    <section>
      <p>
        <a href="#/webhooks">All webhook endpoints</a>
      </p>
      <Loaded state={state}>
        {(endpoint) => {
          const columns: Column<WebhookAttempt>[] = [
            { label: 'Event', cell: (a) => <a href={`#/events/${a.event}`}>{a.event_type}</a> },
            { label: 'Attempt', cell: (a) => (a.resend ? 'Manual resend' : `#${a.attempt}`) },
            { label: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
            { label: 'Response', num: true, cell: (a) => a.http_status ?? '—' },
            { label: 'Error', cell: (a) => a.error ?? '—' },
            { label: 'Next retry', cell: (a) => (a.next_retry_at ? <Time at={a.next_retry_at} /> : '—') },
            { label: 'At', cell: (a) => <Time at={a.created} /> },
          ];
          if (canWrite && endpoint.status === 'enabled') {
            columns.push({ label: 'Actions', cell: (a) => <ResendButton onResend={() => resend(a)} /> });
          }
          return (
            <>
              <h1>
                {endpoint.url} <StatusBadge status={endpoint.status} />
              </h1>
              <dl class="facts">
                <dt>ID</dt>
                <dd>
                  <code>{endpoint.id}</code>
                </dd>
                <dt>Events</dt>
                <dd>{enabledEventsText(endpoint.enabled_events)}</dd>
                <dt>Description</dt>
                <dd>{endpoint.description ?? '—'}</dd>
                <dt>Created</dt>
                <dd>
                  <Time at={endpoint.created} />
                </dd>
              </dl>
              {canWrite && (
                <section aria-labelledby="endpoint-actions">
                  <h2 id="endpoint-actions">Actions</h2>
                  <div class="actions">
                    {endpoint.status === 'enabled' ? (
                      <ConfirmButton label="Disable" confirm="Disable this endpoint? Nothing is sent to it while it is disabled." onConfirm={() => api.post(path, { disabled: true }).then(state.reload)} />
                    ) : (
                      <button
                        type="button"
                        onClick={() =>
                          void run(async () => {
                            await api.post(path, { disabled: false });
                            state.reload();
                            return 'Endpoint enabled.';
                          })
                        }
                      >
                        Enable
                      </button>
                    )}
                    <ConfirmButton
                      danger
                      label="Delete"
                      confirm="Delete this endpoint? Nothing more is sent to it, retries included. It cannot be undone."
                      onConfirm={async () => {
                        await api.del(path);
                        location.hash = '#/webhooks';
                      }}
                    />
                  </div>
                </section>
              )}
              <section aria-labelledby="attempts">
                <h2 id="attempts">Delivery attempts</h2>
                <p class="actions">
                  <button type="button" onClick={attempts.state.reload}>
                    Refresh
                  </button>
                  {canWrite && endpoint.status === 'disabled' && <span class="muted">Enable the endpoint to resend events to it.</span>}
                </p>
                <Outcome message={message} />
                <PagedTable paged={attempts} columns={columns} empty="No delivery attempts yet." />
              </section>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** "Resend", busy while the resend is made and its attempt awaited. */
function ResendButton(props: { onResend: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await props.onResend();
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? 'Resending…' : 'Resend'}
    </button>
  );
}
