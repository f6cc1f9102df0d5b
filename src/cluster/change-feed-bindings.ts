import type { AlarmEngine } from '../alarms/engine.js';
import type { AuthServices } from '../auth/setup.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { CatalogStore, TelemetryStore } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { CommandService } from '../devices/commands.js';
import type { OtaService } from '../devices/ota.js';
import type { ChangeFeed } from './change-feed.js';

/** This node's in-memory copies of shared state. */
export interface SharedCaches {
  alarms: AlarmEngine;
  profiles: ProfileRegistry;
  catalog: CatalogStore;
  /** Which profile each device is bound to (bound through the API of any node). */
  bindings: { telemetry: Pick<TelemetryStore, 'listDevices'>; registry: Pick<DeviceRegistry, 'setProfile' | 'profileOf'> };
  /** Commands this node retries (another node may finish them). */
  commands: Pick<CommandService, 'refresh'>;
  /** Rollouts and their devices' jobs (created, reported to, driven through any node). */
  ota: Pick<OtaService, 'reloadRollout' | 'reloadDevice' | 'load'>;
  auth: Pick<AuthServices, 'users' | 'apiKeys' | 'devices' | 'revocations'>;
  /** Topic mappings added through the API: reloaded whole (their order decides which one takes a topic). */
  mappings: { load(): Promise<unknown> };
  /** Model bundles uploaded or fitted, and versions activated or rolled back, through any node: rescanned whole. */
  models: { sync(): Promise<unknown> };
}

/** What each kind of change reloads. */
export function followSharedState(feed: ChangeFeed, c: SharedCaches): void {
  const reloadProfiles = async (name?: string) => {
    for (const p of await c.catalog.listProfiles()) if (name === undefined || p.name === name) c.profiles.set(p);
  };
  const rebind = async (device?: string) => {
    for (const d of await c.bindings.telemetry.listDevices())
      if ((device === undefined || d.id === device) && c.bindings.registry.profileOf(d.id) !== undefined && c.bindings.registry.profileOf(d.id) !== d.profile)
        c.bindings.registry.setProfile(d.id, d.profile);
  };
  feed.on('rule', (id) => c.alarms.reloadRule(id));
  feed.on('alarm', (id) => (Number.isSafeInteger(Number(id)) ? c.alarms.reloadAlarm(Number(id)) : undefined));
  feed.on('profile', (name) => reloadProfiles(name));
  feed.on('device_profile', (device) => rebind(device));
  feed.on('command', (id) => c.commands.refresh(id));
  feed.on('rollout', (id) => c.ota.reloadRollout(id));
  feed.on('ota_job', (device) => c.ota.reloadDevice(device));
  feed.on('user', (id) => c.auth.users.refresh(id));
  feed.on('api_key', (id) => c.auth.apiKeys.refresh(id));
  feed.on('device_credential', (device) => c.auth.devices.refresh(device));
  feed.on('mapping', async () => void (await c.mappings.load()));
  feed.on('model_bundle', async () => void (await c.models.sync()));
  feed.on('model_active', async () => void (await c.models.sync()));
  // A sign-in ended on another node (signed out, refresh token reused): cached session checks and open sockets here let go too.
  feed.on('session', (family) => c.auth.revocations.emit({ kind: 'session', family }));

  feed.onResync(() => c.alarms.reloadAll());
  feed.onResync(() => reloadProfiles());
  feed.onResync(() => rebind());
  feed.onResync(() => c.auth.users.refresh());
  feed.onResync(() => c.auth.apiKeys.refresh());
  feed.onResync(() => c.auth.devices.refresh());
  feed.onResync(async () => void (await c.mappings.load()));
  feed.onResync(() => c.ota.load());
  feed.onResync(async () => void (await c.models.sync()));
}
