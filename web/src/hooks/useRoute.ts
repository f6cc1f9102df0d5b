import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'overview' }
  | { name: 'login' }
  | { name: 'admin' }
  | { name: 'device'; id: string }
  | { name: 'alarms'; device: string }
  | { name: 'not-found'; path: string };

/** Reads a hash like "#/devices/ina219-01" into a route. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '') return { name: 'overview' };
  if (path === '/login') return { name: 'login' };
  if (path === '/admin') return { name: 'admin' };
  const al = /^\/alarms\/?(?:\?device=([^&]*))?$/.exec(path);
  if (al) {
    try {
      return { name: 'alarms', device: al[1] ? decodeURIComponent(al[1]) : '' };
    } catch {
      return { name: 'not-found', path };
    }
  }
  const m = /^\/devices\/([^/?]+)\/?$/.exec(path);
  if (m) {
    try {
      return { name: 'device', id: decodeURIComponent(m[1]) };
    } catch {
      return { name: 'not-found', path };
    }
  }
  return { name: 'not-found', path };
}

export const hrefs = {
  overview: () => '#/',
  login: () => '#/login',
  admin: () => '#/admin',
  device: (id: string) => `#/devices/${encodeURIComponent(id)}`,
  alarms: (device?: string) => (device ? `#/alarms?device=${encodeURIComponent(device)}` : '#/alarms'),
};

function subscribe(fn: () => void): () => void {
  window.addEventListener('hashchange', fn);
  return () => window.removeEventListener('hashchange', fn);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}
