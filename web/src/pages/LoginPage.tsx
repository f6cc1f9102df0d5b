import { useEffect, useState } from 'react';
import { AuthError } from '../auth/session.js';
import { useServices } from '../services.js';
import { hrefs } from '../hooks/useRoute.js';

/** User name and password; a slowed or locked sign-in counts down its Retry-After. */
export function LoginPage({ required }: { required: boolean }) {
  const { session, identity } = useServices();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(identity.notice);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (waitUntil <= now) return;
    const t = setTimeout(() => setNow(Date.now()), 500);
    return () => clearTimeout(t);
  }, [waitUntil, now]);
  const waiting = Math.max(0, Math.ceil((waitUntil - now) / 1000));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username.trim(), password);
      setPassword('');
      if (window.location.hash === hrefs.login()) window.location.hash = hrefs.overview();
    } catch (err) {
      if (err instanceof AuthError) {
        setError(err.status === 400 ? 'Check the user name (letters, digits, _ . @ -) and password.' : err.message);
        if (err.retryAfterSec) {
          setWaitUntil(Date.now() + err.retryAfterSec * 1000);
          setNow(Date.now());
        }
      } else setError(`Could not reach the server: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page login-page">
      <form className="panel login-form" onSubmit={submit} data-testid="login-form">
        <h1 className="page-title">Sign in</h1>
        {required && <p className="hint">This Fieldscope needs you to sign in before it shows anything.</p>}
        <label>
          User name
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            required
            maxLength={64}
            autoFocus
            data-testid="login-username"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
            maxLength={1024}
            data-testid="login-password"
          />
        </label>
        {error && (
          <div className="hint hint-error" role="alert" data-testid="login-error">
            {error}
            {waiting > 0 && ` (${waiting} s)`}
          </div>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || waiting > 0} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {!required && (
          <a href={hrefs.overview()} className="hint">
            Continue without signing in
          </a>
        )}
      </form>
    </main>
  );
}
