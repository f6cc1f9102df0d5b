import { hrefs } from '../hooks/useRoute.js';
import { toggleTheme, useTheme } from '../theme.js';
import { LiveStatus } from './LiveStatus.js';

export function Header() {
  const theme = useTheme();
  return (
    <header className="header">
      <a className="brand" href={hrefs.overview()}>
        <svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true">
          <polyline points="1,13 5,13 8,4 12,17 15,9 19,9" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinejoin="round" strokeLinecap="round" />
        </svg>
        Fieldscope
      </a>
      <nav className="nav">
        <a href={hrefs.overview()}>Devices</a>
      </nav>
      <div className="header-right">
        <LiveStatus />
        <button
          type="button"
          className="icon-btn"
          onClick={toggleTheme}
          data-testid="theme-toggle"
          aria-label={`switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          title={`switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </div>
    </header>
  );
}
