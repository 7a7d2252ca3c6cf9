import { useState } from 'preact/hooks';
import { apiClient, describeError } from '../api';

/**
 * Asks for an operator access token (`orchestrator token create --role operator …`) and checks it
 * against the API before keeping it. The form posts nowhere (the CSP has form-action 'none'), so
 * even without its script the token could not end up in a URL.
 */
export function SignIn({ onSignIn, notice }: { onSignIn: (token: string) => void; notice: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = value.trim();
    if (!token) return setError('Paste an operator access token.');
    setBusy(true);
    setError(null);
    try {
      await apiClient(token, () => undefined)('GET', '/api/v1/tasks?limit=1');
      setValue('');
      onSignIn(token);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="container sign-in">
      <article>
        <header>
          <h1>Workflow Orchestrator</h1>
          <p>Operator console</p>
        </header>
        <form method="post" onSubmit={submit} autocomplete="off">
          <label for="token">
            Operator access token
            <input
              id="token"
              name="token"
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={value}
              onInput={(e) => setValue((e.target as HTMLInputElement).value)}
              aria-invalid={error ? true : undefined}
            />
            <small>
              An operator or admin token, e.g. from{' '}
              <code>orchestrator token create --role operator --subject you</code>. It stays in this tab
              (sessionStorage) and is sent only in the Authorization header.
            </small>
          </label>
          {notice && <p class="notice">{notice}</p>}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
