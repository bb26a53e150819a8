import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { TestClock } from '../../model';
import { Loaded, StatusBadge, Time, useLoad } from '../../ui';

const DAY = 86_400;

/** `datetime-local` text for a Unix time, in UTC (the picker is labelled UTC). */
const toInput = (t: number) => new Date(t * 1000).toISOString().slice(0, 16);

/** A test clock: its frozen time and "Advance to", with quick steps. */
export function ClockPage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const state = useLoad(() => api.get<TestClock>(`/v1/test_helpers/test_clocks/${props.id}`), [props.id]);
  const [target, setTarget] = useState<string>();
  const [result, setResult] = useState<{ error?: string; busy?: boolean }>({});
  return (
    <Loaded state={state}>
      {(clock) => {
        const value = target ?? toInput(clock.frozen_time);
        const advance = async () => {
          setResult({ busy: true });
          try {
            await api.post(`/v1/test_helpers/test_clocks/${clock.id}/advance`, { frozen_time: Math.floor(Date.parse(`${value}:00Z`) / 1000) });
            setTarget(undefined);
            setResult({});
            state.reload();
          } catch (err) {
            setResult({ error: (err as Error).message });
          }
        };
        return (
          <>
            <h1>
              {clock.name ?? clock.id} <StatusBadge status={clock.status} />
            </h1>
            <p>
              Frozen at <Time at={clock.frozen_time} />
            </p>
            {canWrite && (
              <form
                class="panel"
                aria-labelledby="advance"
                onSubmit={(e) => {
                  e.preventDefault();
                  void advance();
                }}
              >
                <h2 id="advance">Advance</h2>
                <label for="advance-to">Advance to (UTC)</label>
                <input id="advance-to" type="datetime-local" value={value} min={toInput(clock.frozen_time)} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
                <span role="group" aria-label="Quick steps">
                  {[
                    ['+1 day', DAY],
                    ['+1 week', 7 * DAY],
                    ['+32 days', 32 * DAY],
                  ].map(([label, seconds]) => (
                    <button type="button" onClick={() => setTarget(toInput(clock.frozen_time + Number(seconds)))}>
                      {label}
                    </button>
                  ))}
                </span>
                <button type="submit" class="primary" disabled={result.busy}>
                  Advance clock
                </button>
                {result.error && (
                  <p role="alert" class="error">
                    {result.error}
                  </p>
                )}
              </form>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
