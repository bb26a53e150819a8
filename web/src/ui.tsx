import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { dateTime, utc } from './format';

/** Loads data for a page; `reload` after an action. Errors are kept to show, never thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => setState({ data, loading: false }),
      (error: Error) => setState({ error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** What a page shows while loading, on error, or when there is nothing. */
export function Loaded<T>(props: { state: { data?: T; error?: Error; loading: boolean }; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.state;
  if (error) return <p role="alert" class="error">{error.message}</p>;
  if (loading && data === undefined) return <p class="muted" aria-live="polite">Loading…</p>;
  return <>{data === undefined ? null : props.children(data)}</>;
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="muted">{props.children}</p>;
}

/** A time in the browser's zone, with UTC on hover. */
export function Time(props: { at: number | null | undefined }) {
  return <time title={utc(props.at)} dateTime={props.at ? new Date(props.at * 1000).toISOString() : undefined}>{dateTime(props.at)}</time>;
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

/** A button whose action is confirmed first, in place: the first click asks, the second sends. */
export function ConfirmButton(props: { label: string; confirm: string; onConfirm: () => Promise<unknown>; danger?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!asking) {
    return (
      <button type="button" class={props.danger ? 'danger' : ''} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.confirm}>
      <span>{props.confirm}</span>
      <button
        type="button"
        class={props.danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await props.onConfirm();
            setAsking(false);
          } catch (e) {
            setError((e as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
      {error && <span role="alert" class="error">{error}</span>}
    </span>
  );
}

/** Previous / next through a Stripe list: cursors only, never more than a page in memory. */
export function Pager(props: { hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void }) {
  if (!props.hasPrevious && !props.hasNext) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        Previous
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        Next
      </button>
    </nav>
  );
}

/** One page of a list with its cursors, for Pager. */
export function usePaged<T extends { id: string }>(load: (cursor: { starting_after?: string; ending_before?: string }) => Promise<{ data: T[]; has_more: boolean }>, deps: unknown[]) {
  const [cursor, setCursor] = useState<{ starting_after?: string; ending_before?: string }>({});
  useEffect(() => setCursor({}), deps);
  const state = useLoad(() => load(cursor), [...deps, cursor.starting_after, cursor.ending_before]);
  const data = state.data?.data ?? [];
  const backwards = cursor.ending_before !== undefined;
  return {
    state,
    pager: {
      hasPrevious: cursor.starting_after !== undefined || (backwards && Boolean(state.data?.has_more)),
      hasNext: backwards ? true : Boolean(state.data?.has_more),
      onPrevious: () => data[0] && setCursor({ ending_before: data[0].id }),
      onNext: () => data.at(-1) && setCursor({ starting_after: data.at(-1)!.id }),
    },
  };
}

/** A column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  label: string;
  /** Right-aligned, tabular figures (amounts, quantities). */
  num?: boolean;
  cell: (row: T) => ComponentChildren;
}

/** A table of rows with its headings, or `empty` when there are none. */
export function Table<T extends { id: string }>(props: { rows: readonly T[]; columns: readonly Column<T>[]; empty: string; caption?: string }) {
  if (props.rows.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <table>
      {props.caption && <caption>{props.caption}</caption>}
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col" class={c.num ? 'num' : undefined}>
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.id}>
            {props.columns.map((c) => (
              <td class={c.num ? 'num' : undefined}>{c.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One page of a Stripe list as a table, with its loading and error states and the pager. */
export function PagedTable<T extends { id: string }>(props: { paged: ReturnType<typeof usePaged<T>>; columns: readonly Column<T>[]; empty: string }) {
  return (
    <>
      <Loaded state={props.paged.state}>{(page) => <Table rows={page.data} columns={props.columns} empty={props.empty} />}</Loaded>
      <Pager {...props.paged.pager} />
    </>
  );
}

/** A form's outcome: `run` performs its action and keeps what it said (its success text, or the API's error message). */
export function useOutcome() {
  const [message, setMessage] = useState<{ ok?: string; error?: string }>({});
  const run = async (action: () => Promise<string>) => {
    try {
      setMessage({ ok: await action() });
    } catch (err) {
      setMessage({ error: (err as Error).message });
    }
  };
  return { message, run };
}

/** The outcome line of a form. */
export function Outcome(props: { message: { ok?: string; error?: string } }) {
  if (props.message.error) return <p role="alert" class="error">{props.message.error}</p>;
  return props.message.ok ? <p role="status">{props.message.ok}</p> : null;
}
