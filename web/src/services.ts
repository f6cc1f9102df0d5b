import { createContext, useContext } from 'react';
import { Api } from './api.js';
import { LiveClient, liveUrl } from './live.js';
import { DeviceStore } from './state/devices.js';
import { ProfileStore } from './state/profiles.js';

/** What every screen talks to, made once per page load and handed down by context. */
export interface Services {
  api: Api;
  live: LiveClient;
  devices: DeviceStore;
  profiles: ProfileStore;
  /** Fetches the device list and folds it into the store. */
  refreshDevices(): Promise<void>;
  /** Makes sure a profile is loaded (fetching it once if a device names one we lack). */
  ensureProfile(name: string | null | undefined): void;
}

export function createServices(loc: { protocol: string; host: string } = window.location): Services {
  const api = new Api();
  const live = new LiveClient({ url: liveUrl(loc) });
  const devices = new DeviceStore();
  const profiles = new ProfileStore();
  const asked = new Set<string>();

  const ensureProfile = (name: string | null | undefined) => {
    if (!name || profiles.has(name) || asked.has(name)) return;
    asked.add(name);
    api.getProfile(name).then(
      (p) => profiles.set([p]),
      () => {
        // Let a later sighting try again.
        setTimeout(() => asked.delete(name), 30_000);
      },
    );
  };

  const refreshDevices = async () => {
    const list = await api.listDevices();
    devices.upsert(list);
    for (const d of list) ensureProfile(d.profile);
  };

  live.onMessage((m) => {
    if (devices.apply(m, live.serverNow()) && m.type === 'device') ensureProfile((m as { profile?: string | null }).profile);
  });
  // After a reconnect we may have missed device changes: take a fresh snapshot.
  live.onOpen((reconnect) => {
    if (reconnect) refreshDevices().catch(() => {});
  });

  api.listProfiles().then(
    (list) => profiles.set(list),
    () => {},
  );

  return { api, live, devices, profiles, refreshDevices, ensureProfile };
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <ServicesContext.Provider>');
  return s;
}
