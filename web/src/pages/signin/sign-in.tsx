import { useState } from 'preact/hooks';
import { createApi, modeOfKey } from '../../api';

/** Sign in with a secret or restricted key: checked against the API before it is kept. */
export function SignIn(props: { onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <h1>Meterline Console</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const trimmed = key.trim();
          if (!modeOfKey(trimmed)) return setError('Paste a secret key (sk_test_…, sk_live_…) or a restricted key (rk_…).');
          setBusy(true);
          setError(undefined);
          try {
            await createApi(trimmed, () => undefined).get('/v1/customers', { limit: 1 });
            props.onSignIn(trimmed);
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" spellcheck={false} value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        <p class="muted">Kept in this tab only; signing out or closing the tab forgets it.</p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
