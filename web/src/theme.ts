import { useEffect, useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'fieldscope.theme';

function readStored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

const media = () => window.matchMedia('(prefers-color-scheme: dark)');
const systemTheme = (): Theme => (media().matches ? 'dark' : 'light');

// The user's stored choice (null = follow the system), shared by every component.
let choice: Theme | null = null;
const listeners = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  const mq = media();
  mq.addEventListener('change', fn);
  return () => {
    listeners.delete(fn);
    mq.removeEventListener('change', fn);
  };
}

function current(): Theme {
  return choice ?? systemTheme();
}

/** Sets <html data-theme> before React renders, so the first paint has the right colours. */
export function applyInitialTheme(): void {
  choice = readStored();
  document.documentElement.dataset.theme = current();
}

export function toggleTheme(): void {
  choice = current() === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(KEY, choice);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  for (const fn of [...listeners]) fn();
}

/** The theme in force: the stored choice, else the system's. */
export function useTheme(): Theme {
  const theme = useSyncExternalStore(subscribe, current);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
