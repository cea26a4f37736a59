import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';

/** Log in with the admin token; the server answers with an httpOnly session cookie. */
export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(token.trim());
      setToken('');
      onLoggedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'ADMIN_UNAUTHORIZED'
          ? 'That is not the admin token.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <h1>Signet</h1>
      <p>Verified analytics: manage apps, keys and enforcement, and see what was rejected and why.</p>
      <form onSubmit={submit} class="card">
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="admin-token-help"
          aria-invalid={error !== null}
        />
        <p id="admin-token-help" class="help">
          Printed once when the server first started, or the <code>SIGNET_ADMIN_TOKEN</code> it runs with. You
          stay logged in for 12 hours.
        </p>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
