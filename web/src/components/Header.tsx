import { hrefs } from '../hooks/useRoute.js';
import { toggleTheme, useTheme } from '../theme.js';
import { LiveStatus } from './LiveStatus.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { useIdentity } from '../hooks/useIdentity.js';
import { roleAtLeast } from '../auth/identity.js';
import { useTranslation } from '../i18n/index.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { TasksLink } from './TasksLink.js';

/** Who is looking, with Sign in / Sign out; always shown, also when anonymous access is on. */
function Account() {
  const { session } = useServices();
  const id = useIdentity();
  const { t } = useTranslation();
  const who = id.status === 'ready' ? id.identity : null;
  if (who?.kind === 'user') {
    return (
      <div className="account" data-testid="account">
        <span className="account-name" data-testid="account-name" title={t('account.signedInAs', { name: who.name, role: who.role })}>
          {who.name} <span className="account-role">{who.role}</span>
        </span>
        <button type="button" className="btn btn-small" onClick={() => void session.logout()} data-testid="sign-out">
          {t('account.signOut')}
        </button>
      </div>
    );
  }
  return (
    <div className="account" data-testid="account">
      {who && (
        <span className="account-role" title={t('account.anonymousTitle')}>
          {t('account.anonymous', { role: who.role })}
        </span>
      )}
      <a className="btn btn-small" href={hrefs.login()} data-testid="sign-in">
        {t('account.signIn')}
      </a>
    </div>
  );
}

function AdminLink() {
  const id = useIdentity();
  const { t } = useTranslation();
  if (id.status !== 'ready' || !roleAtLeast(id.identity.role, 'admin')) return null;
  return (
    <a href={hrefs.admin()} data-testid="nav-admin">
      {t('nav.admin')}
    </a>
  );
}

function AlarmsLink() {
  const { alarms } = useServices();
  const { t } = useTranslation();
  useThrottledStore(alarms, 250);
  let open = 0;
  for (const v of alarms.openByDevice().values()) open += v.count;
  return (
    <a href={hrefs.alarms()} data-testid="nav-alarms">
      {t('nav.alarms')}
      {/* Always in the layout, its width fixed: a count that appears must not move the links after it
          under a pointer already on its way to one of them. */}
      <span className={open > 0 ? 'nav-count' : 'nav-count nav-count-none'} data-testid="nav-alarm-count" data-count={open} aria-hidden={open === 0}>
        {open}
      </span>
    </a>
  );
}

export function Header() {
  const theme = useTheme();
  const { t } = useTranslation();
  const themeLabel = t(theme === 'dark' ? 'theme.toLight' : 'theme.toDark');
  return (
    <header className="header">
      <a className="brand" href={hrefs.overview()}>
        <svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true">
          <polyline points="1,13 5,13 8,4 12,17 15,9 19,9" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinejoin="round" strokeLinecap="round" />
        </svg>
        <span className="brand-name">{t('brand')}</span>
      </a>
      <nav className="nav">
        <a href={hrefs.overview()}>{t('nav.devices')}</a>
        <AlarmsLink />
        <TasksLink />
        <AdminLink />
      </nav>
      <div className="header-right">
        <LiveStatus />
        <Account />
        <LanguageSwitch />
        <button type="button" className="icon-btn" onClick={toggleTheme} data-testid="theme-toggle" aria-label={themeLabel} title={themeLabel}>
          {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
        </button>
      </div>
    </header>
  );
}

function SunIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="12" cy="12" r="4.5" />
      <path d="M12 1.5v2.5M12 20v2.5M1.5 12H4M20 12h2.5M4.6 4.6l1.8 1.8M17.6 17.6l1.8 1.8M4.6 19.4l1.8-1.8M17.6 6.4l1.8-1.8" />
    </svg>
  );
}

function MoonIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round">
      <path d="M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11z" />
    </svg>
  );
}
