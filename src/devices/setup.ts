import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Store } from '../stores/store.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { DeviceRegistry } from './registry.js';
import type { TopicKind } from '../model/topics.js';
import { CommandService } from './commands.js';
import { DeviceDirectory } from './directory.js';
import { FirmwareLibrary } from './firmware.js';
import { OtaService } from './ota.js';
import type { DeviceServices } from './services.js';

export interface DeviceManagement extends DeviceServices {
  /** Where devices reach the HTTP server (known once it listens). */
  setBaseUrl(url: string): void;
  /** What devices publish beside telemetry: state (will), command answers, OTA progress. */
  onDeviceMessage(device: string, kind: TopicKind, payload: Buffer): void;
  /** Resumes open commands and rollouts; call once the transports are in place. */
  start(): Promise<void>;
  stop(): void;
}

/** Builds commands, device metadata, equipment, firmware and OTA over one store. */
export async function createDeviceManagement(o: {
  config: Config;
  dataDir: string;
  store: Store;
  devices: DeviceRegistry;
  profiles: ProfileRegistry;
  metrics: Metrics;
  logger: Logger;
  /** False where other nodes share the store: the node holding the run-once lease adopts commands left open (adoptStale). */
  resumeCommands?: boolean;
  /** Other nodes share the store: rollouts are driven by the run-once lease holder (OtaService.drive). */
  shared?: boolean;
}): Promise<DeviceManagement> {
  const { config, store, devices, profiles, logger } = o;
  const commands = new CommandService({
    store: store.devices,
    logger,
    profileOf: (id) => {
      const p = devices.profileOf(id);
      return p ? profiles.get(p) : undefined;
    },
    ackTimeoutMs: config.commandAckTimeoutMs,
    maxAttempts: config.commandMaxAttempts,
  });
  commands.onUpdate((c) => {
    if (c.finishedAt !== null) o.metrics.commands.inc({ status: c.status });
  });
  const directory = new DeviceDirectory(store.devices);
  await directory.load();
  const firmware = new FirmwareLibrary(store.devices, store.blobs, {
    legacyDir: join(o.dataDir, 'firmware'),
    log: (msg, detail) => logger.warn(detail, msg),
  });
  const { imported } = await firmware.load();
  if (imported.length) logger.info({ images: imported.length }, 'firmware images moved from the data directory into the store');
  let baseUrl = config.publicUrl ?? '';
  const ota = new OtaService({
    store: store.devices,
    commands,
    firmware,
    logger,
    baseUrl: () => baseUrl,
    shared: o.shared,
    isKnown: (id) => devices.get(id) !== undefined,
    resolveTarget: (kind, value) =>
      kind === 'device'
        ? [value]
        : kind === 'profile'
          ? devices
              .list()
              .filter((d) => d.profile === value)
              .map((d) => d.id)
          : directory.devicesOf(value),
  });
  const warn = (what: string) => (err: Error) => logger.warn({ err: err.message }, what);
  return {
    commands,
    directory,
    firmware,
    ota,
    maxFirmwareBytes: config.maxFirmwareBytes,
    setBaseUrl(url) {
      if (!config.publicUrl) baseUrl = url.replace(/\/$/, '');
    },
    onDeviceMessage(device, kind, payload) {
      if (kind === 'state') {
        const s = payload.toString('utf8').trim().toLowerCase();
        if (s === 'online' || s === 'offline') devices.setLinkState(device, s === 'online');
      } else if (kind === 'commands/ack') {
        commands.replyFromPayload(device, payload).catch(warn('command answer not recorded'));
      } else if (kind === 'ota') {
        ota.report(device, payload).catch(warn('ota report not recorded'));
      }
    },
    async start() {
      if (o.resumeCommands !== false) await commands.resume();
      await ota.load();
    },
    stop() {
      ota.stop();
      commands.stop();
    },
  };
}
