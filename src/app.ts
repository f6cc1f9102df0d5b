import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Store } from './stores/store.js';
import { SqliteStore } from './stores/sqlite/sqlite-store.js';
import { ProfileRegistry } from './profiles/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { Batcher } from './pipeline/batcher.js';
import { Pipeline } from './pipeline/ingest.js';
import { EmbeddedBroker } from './sources/mqtt-broker.js';
import type { Source } from './sources/source.js';
import { buildHttpServer, type HttpServer } from './api/server.js';
import { startSimulator, type Simulator } from './sim/simulator.js';
import { version } from './version.js';

export interface RunningApp {
  config: Config;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  pipeline: Pipeline;
  batcher: Batcher;
  devices: DeviceRegistry;
  broker: EmbeddedBroker;
  http: HttpServer;
  simulator: Simulator | null;
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

/** Wires sources -> pipeline -> store -> api, starts them in that order, and stops them in reverse. */
export async function startApp(config: Config, opts: { logger?: Logger } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const dataDir = resolve(config.dataDir);
  const store: Store = new SqliteStore({ path: join(dataDir, 'fieldscope.db') });
  await store.open();

  const profiles = ProfileRegistry.load(config.profilesDir);
  const devices = new DeviceRegistry({ offlineAfterMs: config.offlineAfterMs, profiles });
  devices.load(await store.listDevices());
  devices.startSweeping();

  const batcher = new Batcher(store, { maxReadings: config.batchMaxReadings }, metrics);
  batcher.onCommitted((messages) => devices.observe(messages));
  const pipeline = new Pipeline({ batcher, metrics, logger, maxPayloadBytes: config.maxPayloadBytes });

  const broker = new EmbeddedBroker({ host: config.host, port: config.mqttPort, pipeline, metrics, logger });
  const sources: Source[] = [broker];

  const http = await buildHttpServer({
    store, devices, profiles, pipeline, batcher, metrics, logger, sources, version,
    maxPayloadBytes: config.maxPayloadBytes,
    maxBodyBytes: Math.max(config.maxPayloadBytes, 16 * 1024 * 1024),
  });
  await http.app.listen({ host: config.host, port: config.httpPort });
  await broker.start();

  const httpPort = (http.app.server.address() as AddressInfo).port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const httpUrl = `http://${urlHost}:${httpPort}`;
  const mqttUrl = `mqtt://${urlHost}:${broker.port}`;

  let simulator: Simulator | null = null;
  if (config.simulator) {
    simulator = await startSimulator({
      brokerUrl: `mqtt://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : urlHost}:${broker.port}`,
      devices: config.simDevices,
      rateHz: config.simRateHz,
      log: (msg) => logger.debug(msg),
    });
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await simulator?.stop().catch((err: Error) => logger.warn({ err: err.message }, 'simulator stop failed'));
      // Stop taking input first, then finish what was taken, then close the store.
      await broker.stop();
      http.live.closeAll();
      await http.app.close();
      await batcher.drain();
      devices.stop();
      await store.close();
    })());

  return { config, store, metrics, logger, pipeline, batcher, devices, broker, http, simulator, httpUrl, mqttUrl, stop };
}
