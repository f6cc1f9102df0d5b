import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Store } from './stores/store.js';
import { createStore } from './stores/open-store.js';
import { startRetentionJob } from './stores/retention.js';
import { startDailyExport } from './jobs/daily-export.js';
import { ProfileRegistry } from './profiles/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { Batcher } from './pipeline/batcher.js';
import { Pipeline } from './pipeline/ingest.js';
import { installRulePacks } from './alarms/rule-packs.js';
import { labelOf } from './model/device.js';
import { MappingError, TopicMappings } from './sources/mappings/topic-mappings.js';
import { SERIAL_INTEGRITY, type SerialIntegrity } from './sources/serial-frame.js';
import type { ServerClock } from './pipeline/server-clock.js';
import type { DeviceInfo } from './model/device.js';
import { EmbeddedBroker } from './sources/mqtt-broker.js';
import { brokerLimits } from './sources/broker-limits.js';
import { ExternalBroker } from './sources/mqtt-client.js';
import { SequenceTracker } from './pipeline/sequence.js';
import { Spool } from './pipeline/spool.js';
import { Validator } from './pipeline/validate.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Source } from './sources/source.js';
import { buildHttpServer, type HttpServer } from './api/server.js';
import { startSimulator, type Simulator } from './sim/simulator.js';
import { version } from './version.js';
import { createDeviceManagement, type DeviceManagement } from './devices/setup.js';
import { SerialLink, parseSerialSpec } from './sources/serial.js';
import { deviceTopic } from './sources/topics.js';
import { isValidDeviceId } from './pipeline/decode.js';
import { Analytics } from './analytics/live-stats.js';
import { AlarmEngine } from './alarms/engine.js';
import { Dispatcher } from './notify/dispatcher.js';
import { buildChannels } from './notify/setup.js';
import type { AlarmServices } from './api/alarm-context.js';
import { createAuth, type AuthServices } from './auth/setup.js';
import { accessPolicy } from './auth/policy.js';
import { MqttAccess } from './auth/mqtt-access.js';
import { ConfigError } from './config.js';
import { ReadGuard } from './api/read-guard.js';
import { SystemAlarms } from './alarms/system-alarms.js';
import { SystemMonitor } from './alarms/system-monitor.js';
import { createOperatorMetrics } from './operator-metrics.js';
import { startAuditRetention } from './auth/audit/audit-retention.js';
import { createModels, withServeMlMapping, type ModelServices } from './models/setup.js';

export interface RunningApp {
  config: Config;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  pipeline: Pipeline;
  batcher: Batcher;
  devices: DeviceRegistry;
  /** The embedded broker (not started when an external broker is configured). */
  broker: EmbeddedBroker;
  /** Whichever MQTT source runs: the embedded broker or the external broker client. */
  mqtt: Source;
  sequence: SequenceTracker;
  spool: Spool;
  http: HttpServer;
  alarms: AlarmServices;
  simulator: Simulator | null;
  /** Commands, device metadata, equipment, firmware and OTA. */
  deviceServices: DeviceManagement;
  serialLinks: SerialLink[];
  /** Users, tokens, API keys, device credentials and limits. */
  auth: AuthServices;
  /** Checks the conditions of system alarms (store, spool, broker, serial, channels, disk). */
  systemMonitor: SystemMonitor;
  /** Model bundles and their serving (docs/models.md). */
  models: ModelServices;
  /** Set on the first start only: the generated admin password, to be shown once. */
  initialAdminPassword: string | null;
  /** The file holding the generated admin password, while it exists (the operator deletes it after changing the password). */
  initialAdminPasswordFile: string | null;
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

/** Wires sources -> pipeline -> store -> api, starts them in that order, and stops them in reverse. */
export async function startApp(config: Config, opts: { logger?: Logger; wrapStore?: (store: Store) => Store } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Refuse an open door before anything listens: anonymous access only on loopback.
  accessPolicy(config);
  const mqttLimits = brokerLimits(config);
  for (const k of ['spoolAlarmRatio', 'diskAlarmFreeRatio'] as const) {
    if (!(config[k] >= 0 && config[k] <= 1)) throw new ConfigError(`${k} must be a fraction in [0, 1], got ${config[k]}`);
  }
  const tls = readTls(config);
  const metrics = createMetrics();
  const dataDir = resolve(config.dataDir);
  const engine: Store = createStore(config, {
    onReadTimeout: (_op, running) => {
      if (running) metrics.readWorkersReplaced.inc();
    },
  });
  // Tests wrap the store to make it fail for a while; the data path stays the real one.
  const store: Store = opts.wrapStore ? opts.wrapStore(engine) : engine;
  await store.open();
  // Until the start has succeeded, each part that runs is undone, newest first, if a later step
  // fails (a port in use, a refused admin password), so a failed start leaves nothing open.
  const undo: Array<() => unknown> = [() => store.close()];
  try {
    const retentionJob = startRetentionJob(store, { onError: (err) => logger.error({ err: err.message }, 'retention pass failed') });
    undo.push(() => retentionJob.stop());
    const exportJob = config.exportDir
      ? startDailyExport(store, resolve(config.exportDir), {
          onError: (err) => logger.error({ err: err.message }, 'daily export failed'),
          onWritten: (files) => logger.info({ files }, 'daily export written'),
        })
      : null;
    undo.push(() => exportJob?.stop());
    const auditRetention = startAuditRetention(store, {
      days: config.auditRetentionDays,
      onError: (err) => logger.error({ err: err.message }, 'audit retention pass failed'),
    });
    undo.push(() => auditRetention.stop());

    const profiles = ProfileRegistry.load(config.profilesDir);
    for (const p of await store.listProfiles()) profiles.set(p);
    const devices = new DeviceRegistry({ offlineAfterMs: config.offlineAfterMs, profiles });
    devices.load(await store.listDevices());
    devices.startSweeping();
    undo.push(() => devices.stop());

    const sequence = new SequenceTracker({
      received: (n) => metrics.seqReceived.inc(n),
      duplicates: (n) => metrics.seqDuplicates.inc(n),
      outOfOrder: (n) => metrics.seqOutOfOrder.inc(n),
      restarts: (n) => metrics.seqRestarts.inc(n),
      missing: (n) => metrics.seqMissing.inc(n),
    });
    sequence.load(await store.loadSequenceState());
    const spool = new Spool(join(dataDir, 'spool', 'spool.log'), { maxBytes: config.spoolMaxBytes });
    spool.open();
    undo.push(() => spool.close());

    const batcher = new Batcher(store, { maxReadings: config.batchMaxReadings, sequence, spool }, metrics);
    batcher.onCommitted((messages) => devices.observe(messages));
    // Analytics and alarms follow the registry (which knows each device's profile by then).
    const analyticsOptions = { vectors: config.l2Vectors, zWindowMs: config.zWindowMs };
    const analytics = new Analytics(analyticsOptions);
    const alarms = new AlarmEngine({
      store,
      analytics,
      devices,
      logger,
      label: (profile, metric, v) => labelOf(profile ? profiles.get(profile)?.metrics[metric] : undefined, v),
    });
    await alarms.start();
    if (config.rulePacks) {
      const added = await installRulePacks(profiles.list(), alarms, join(dataDir, 'alarms', 'rule-packs.json'));
      if (added.length) logger.info({ rules: added.map((r) => r.id) }, "installed the profiles' rule packs");
    }
    undo.push(() => alarms.stop());
    batcher.onCommitted((messages) => alarms.observe(messages));
    devices.onChange((ev) => {
      if (!ev.online) alarms.checkSilence();
    });
    const notify = buildChannels(config);
    const systemAlarms = new SystemAlarms(store, logger);
    await systemAlarms.start();
    const openAlarms = () => [...alarms.openAlarms(), ...systemAlarms.openAlarms()];
    const operatorMetrics = createOperatorMetrics(metrics.registry, {
      openAlarms,
      devices: () => devices.list(),
      sequence: (d) => sequence.state(d),
      spoolLimitBytes: config.spoolMaxBytes,
    });
    const dispatcher = new Dispatcher(notify.channels, store, logger, operatorMetrics.delivered);
    alarms.onChange((c) => {
      dispatcher.handle(c);
      systemAlarms.observe(c);
    });
    systemAlarms.onChange((c) => dispatcher.handle(c));
    dispatcher.startEscalation(openAlarms);
    undo.push(() => dispatcher.stop());
    const alarmServices: AlarmServices = { analytics, analyticsOptions, engine: alarms, dispatcher, toasts: notify.websocket, system: systemAlarms };
    await batcher.recover();
    const validator = new Validator({ boundProfile: (d) => devices.profileOf(d), profile: (n) => profiles.get(n) });
    const pipeline = new Pipeline({ batcher, metrics, logger, maxPayloadBytes: config.maxPayloadBytes, validator });
    seedClock(pipeline.clock, devices.list());
    // Predictions go through the same commit path as readings: stored, charted, alarmed on.
    const models = await createModels({
      folder: config.models,
      dataDir,
      sink: (messages) => batcher.add(messages),
      stamp: (device) => pipeline.clock.stamp(device, Date.now()),
      profileOf: (device) => devices.profileOf(device),
      logger,
    });
    undo.push(() => models.stop());
    batcher.onCommitted((messages) => models.server.observe(messages));

    const { auth, initialAdminPassword, initialAdminPasswordFile } = await createAuth({ config, dataDir, store, metrics, logger });
    const dm = await createDeviceManagement({ config, dataDir, store, devices, profiles, metrics, logger });
    const mappings = topicMappingsOf(config.models ? { ...config, topicMappings: withServeMlMapping(config.topicMappings) } : config);
    const broker = new EmbeddedBroker({
      host: config.host,
      port: config.mqttPort,
      pipeline,
      metrics,
      logger,
      onDeviceMessage: dm.onDeviceMessage,
      access: new MqttAccess(auth),
      tls,
      mappings,
      maxPayloadBytes: config.maxPayloadBytes,
      limits: mqttLimits,
    });
    if (!config.broker) {
      dm.commands.addTransport({
        kind: 'mqtt',
        reaches: () => true,
        send: (device, cmd) => broker.publish(deviceTopic(device, 'commands'), JSON.stringify(cmd), { qos: 1 }),
      });
    }
    const serialLinks = parseSerialConfig(config.serial, config.serialIntegrity).map(
      ({ path, baudRate, device, integrity }) =>
        new SerialLink({
          path,
          baudRate,
          device,
          integrity,
          pipeline,
          metrics,
          logger,
          onCommandReply: (d, r) => void dm.commands.reply(d, r).catch(() => {}),
        }),
    );
    for (const link of serialLinks) dm.commands.addTransport(link, true);
    const mqttSource: Source = config.broker
      ? new ExternalBroker({
          url: config.broker,
          clientId: config.brokerClientId ?? `fieldscope-${hostname()}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64),
          username: config.brokerUsername ?? undefined,
          password: process.env.FIELDSCOPE_BROKER_PASSWORD ?? (config.brokerPasswordFile ? readFileSync(config.brokerPasswordFile, 'utf8').trim() : undefined),
          ca: config.brokerCa ?? undefined,
          cert: config.brokerCert ?? undefined,
          key: config.brokerKey ?? undefined,
          pipeline,
          logger,
          onDeviceMessage: dm.onDeviceMessage,
          mappings,
        })
      : broker;
    if (mqttSource instanceof ExternalBroker) {
      // Commands reach devices through the same external broker they publish to.
      const external = mqttSource;
      dm.commands.addTransport({
        kind: 'mqtt',
        reaches: () => true,
        send: (device, cmd) => external.publish(deviceTopic(device, 'commands'), JSON.stringify(cmd), { qos: 1 }),
      });
    }
    const sources: Source[] = [mqttSource, ...serialLinks];

    const http = await buildHttpServer({
      store,
      devices,
      profiles,
      pipeline,
      batcher,
      metrics,
      logger,
      sources,
      version,
      sequence,
      alarmServices,
      deviceServices: dm,
      maxPayloadBytes: config.maxPayloadBytes,
      maxBodyBytes: Math.max(config.maxPayloadBytes, 16 * 1024 * 1024),
      readGuard: new ReadGuard({
        overall: config.readConcurrency,
        perCaller: config.readConcurrencyPerCaller,
        rowsPerSec: config.readRowsPerSec,
        rowsBurst: config.readRowsBurst,
        onRefused: (rule) => metrics.readsRefused.inc({ rule }),
      }),
      readMaxRows: config.readMaxRows,
      auth,
      models,
      corsOrigins: (config.corsOrigin ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      tls,
    });
    undo.push(() => http.app.close());
    await http.app.listen({ host: config.host, port: config.httpPort });
    undo.push(() => mqttSource.stop());
    await mqttSource.start();
    for (const link of serialLinks) {
      undo.push(() => link.stop());
      await link.start();
    }

    const monitor = new SystemMonitor({
      alarms: systemAlarms,
      store,
      spool: () => ({ bytes: spool.depthBytes, maxBytes: config.spoolMaxBytes }),
      spoolRatio: config.spoolAlarmRatio,
      broker: mqttSource instanceof ExternalBroker ? mqttSource : null,
      serial: serialLinks,
      channels: () => dispatcher.health(),
      diskPath: dataDir,
      diskFreeRatio: config.diskAlarmFreeRatio,
      intervalMs: config.systemCheckMs,
    });
    monitor.start();
    undo.push(() => monitor.stop());

    const httpPort = (http.app.server.address() as AddressInfo).port;
    const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    const httpUrl = `${tls ? 'https' : 'http'}://${urlHost}:${httpPort}`;
    const mqttUrl = config.broker ?? `${tls ? 'mqtts' : 'mqtt'}://${urlHost}:${broker.port}`;
    dm.setBaseUrl(config.host === '0.0.0.0' || config.host === '::' ? `${tls ? 'https' : 'http'}://127.0.0.1:${httpPort}` : httpUrl);
    undo.push(() => dm.stop());
    await dm.start();

    let simulator: Simulator | null = null;
    // The simulator speaks plain MQTT to the embedded broker; with TLS on, run `fieldscope simulate` against mqtts instead.
    if (config.simulator && !config.broker && !tls) {
      simulator = await startSimulator({
        // Anonymous devices may be refused (insecure-local off): it signs in as the in-process service.
        username: auth.internal.username,
        password: auth.internal.password,
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
        await mqttSource.stop();
        for (const link of serialLinks) await link.stop();
        dm.stop();
        http.live.closeAll();
        await http.app.close();
        await batcher.drain();
        spool.close();
        await monitor.stop();
        await systemAlarms.idle();
        await alarms.stop();
        await dispatcher.stop();
        devices.stop();
        await retentionJob.stop();
        await exportJob?.stop();
        await auditRetention.stop();
        await models.stop();
        await store.close();
      })());

    return {
      config,
      store,
      metrics,
      logger,
      pipeline,
      batcher,
      devices,
      broker,
      mqtt: mqttSource,
      sequence,
      spool,
      http,
      alarms: alarmServices,
      simulator,
      deviceServices: dm,
      serialLinks,
      auth,
      systemMonitor: monitor,
      models,
      initialAdminPassword,
      initialAdminPasswordFile,
      httpUrl,
      mqttUrl,
      stop,
    };
  } catch (err) {
    for (const u of undo.reverse())
      await Promise.resolve()
        .then(u)
        .catch(() => undefined);
    throw err;
  }
}

/** `PATH[:BAUD]=DEVICE`, comma-separated. */
function parseSerialConfig(
  spec: string | null,
  defaultIntegrity: SerialIntegrity,
): Array<{ path: string; baudRate: number; device: string; integrity: SerialIntegrity }> {
  if (!spec) return [];
  return spec
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const eq = item.lastIndexOf('=');
      if (eq < 1) throw new ConfigError(`serial "${item}": expected PATH[:BAUD]=DEVICE_ID[@crc|optional|none]`);
      // '@' cannot appear in a device id, so it can carry the port's own integrity setting.
      const [device, own] = item.slice(eq + 1).split('@');
      if (!isValidDeviceId(device)) throw new ConfigError(`serial "${item}": device id must be 1-128 characters of letters, digits, . _ : -`);
      const integrity = (own ?? defaultIntegrity) as SerialIntegrity;
      if (!SERIAL_INTEGRITY.includes(integrity))
        throw new ConfigError(`serial "${item}": integrity must be one of ${SERIAL_INTEGRITY.join(', ')}, got "${own ?? defaultIntegrity}"`);
      try {
        return { ...parseSerialSpec(item.slice(0, eq)), device, integrity };
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    });
}

/** The certificate and key for HTTPS and MQTTS, both or neither. */
function readTls(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (!config.tlsCert && !config.tlsKey) return undefined;
  if (!config.tlsCert || !config.tlsKey) throw new ConfigError('TLS needs both --tls-cert FILE and --tls-key FILE');
  try {
    return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
  } catch (err) {
    throw new ConfigError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}

/** Server stamps continue above each device's newest stored reading (see ServerClock.seed). */
function seedClock(clock: ServerClock, devices: DeviceInfo[]): void {
  const now = Date.now();
  for (const d of devices) {
    let newest = -Infinity;
    for (const metric in d.latest) newest = Math.max(newest, d.latest[metric].ts);
    if (newest > 0) clock.seed(d.id, newest, now);
  }
}

/** The configured topic mappings; a bad one stops the start with the setting, field and rule named. */
function topicMappingsOf(config: Config): TopicMappings {
  try {
    return new TopicMappings(config.topicMappings);
  } catch (err) {
    if (err instanceof MappingError) throw new ConfigError(`topicMappings: ${err.field}: ${err.message} (rule ${err.rule})`);
    throw err;
  }
}
