import { useEffect, useState } from 'react';
import { AuthError } from '../auth/session.js';
import { useServices } from '../services.js';
import { hrefs } from '../hooks/useRoute.js';
import { useTranslation } from '../i18n/index.js';

/** User name and password; a slowed or locked sign-in counts down its Retry-After. */
export function LoginPage({ required }: { required: boolean }) {
  const { session, identity } = useServices();
  const { t } = useTranslation('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(identity.notice ? t('expired') : null);
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
        setError(err.status === 400 ? t('badInput') : err.rule === 'bad_credentials' ? t('badCredentials') : err.status === 429 ? t('locked') : err.message);
        if (err.retryAfterSec) {
          setWaitUntil(Date.now() + err.retryAfterSec * 1000);
          setNow(Date.now());
        }
      } else setError(t('unreachable', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page login-page">
      <form className="panel login-form" onSubmit={submit} data-testid="login-form">
        <h1 className="page-title">{t('title')}</h1>
        {required && <p className="hint">{t('required')}</p>}
        <label>
          {t('username')}
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
          {t('password')}
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
            {waiting > 0 && ` ${t('wait', { seconds: waiting })}`}
          </div>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || waiting > 0} data-testid="login-submit">
          {busy ? t('busy') : t('submit')}
        </button>
        {!required && (
          <a href={hrefs.overview()} className="hint">
            {t('anonymous')}
          </a>
        )}
      </form>
    </main>
  );
}
