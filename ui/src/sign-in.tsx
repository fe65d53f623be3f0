import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from './api';
import type { Session } from './api';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string, session: Session) => void; notice?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) return setError('Paste the admin token (server.admin_token) or the read-only token (server.admin_read_token).');
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<Session>('session', { token: token.trim() });
      onSignedIn(token.trim(), session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('That token was refused: it is neither server.admin_token nor server.admin_read_token of this gateway.');
      else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} noValidate>
        <h1>
          <span className="logo" aria-hidden="true">
            ⇄
          </span>{' '}
          Switchyard console
        </h1>
        <p className="muted">Sign in with the gateway's admin token, or its read-only token to look without changing anything. The token stays in this tab only and is sent as a Bearer header.</p>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label htmlFor="token">Admin token</label>
        <input id="token" name="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? 'signin-error' : undefined} />
        {error ? (
          <p id="signin-error" className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
