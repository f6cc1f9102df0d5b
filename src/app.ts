import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { PartitionFence, RetentionResult, Store } from './stores/store.js';
import { createStore } from './stores/open-store.js';
import { logRetentionPass, startRetentionJob, type RetentionJob } from './stores/retention.js';
import { RetentionRules } from './stores/retention-rules.js';
import { startDailyExport } from './jobs/daily-export.js';
import { ProfileRegistry } from './profiles/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { ForeignDevices } from './devices/foreign-devices.js';
import { Batcher } from './pipeline/batcher.js';
import { CommitWriter } from './pipeline/commit.js';
import { Pipeline } from './pipeline/ingest.js';
import { SequenceTracker } from './pipeline/sequence.js';
import { Spool } from './pipeline/spool.js';
import { Validator } from './pipeline/validate.js';
import type { Source } from './sources/source.js';
import { buildHttpServer, type HttpServer } from './api/server.js';
import { startSimulator, type Simulator } from './sim/simulator.js';
import { version } from './version.js';
import { createDeviceManagement, type DeviceManagement } from './devices/setup.js';
import { Analytics } from './analytics/live-stats.js';
import { AlarmEngine } from './alarms/engine.js';
import { Dispatcher } from './notify/dispatcher.js';
import { buildChannels } from './notify/setup.js';
import type { AlarmServices } from './api/alarm-context.js';
import { createAuth, type AuthServices } from './auth/setup.js';
import { accessPolicy } from './auth/policy.js';
import { MqttAccess } from './auth/mqtt-access.js';
import { Runner, component, type Component } from './components.js';
import { buildSources, topicMappingsOf } from './wiring/sources.js';
import { MappingCatalog } from './sources/mappings/mapping-catalog.js';
import { seedClock } from './wiring/clock.js';
import { installRulePacks } from './alarms/rule-packs.js';
import { labelOf } from './model/device.js';
import { brokerLimits } from './sources/mqtt-broker/broker-limits.js';
import { readTls } from './wiring/tls.js';
import type { EmbeddedBroker } from './sources/mqtt-broker/mqtt-broker.js';
import type { SerialLink } from './sources/serial/serial.js';
import { ExternalBroker } from './sources/mqtt-client/mqtt-client.js';
import { ConfigError } from './config.js';
import { ReadGuard } from './api/read-guard.js';
import { SystemAlarms } from './alarms/system-alarms.js';
import { SystemMonitor } from './alarms/system-monitor.js';
import { createOperatorMetrics } from './operator-metrics.js';
import { startAuditRetention } from './auth/audit/audit-retention.js';
import { createModels, withServeMlMapping, type ModelServices } from './models/setup.js';
import { changeFeedFor, isShared, runOnceFor, type SharedState } from './cluster/shared-state.js';
import { followSharedState } from './cluster/change-feed-bindings.js';
import { deviceRebuilder } from './cluster/rebuild-devices.js';
import { JudgementGate } from './cluster/judgement-gate.js';
import { clusterNodeFor } from './cluster/node-setup.js';
import type { ClusterNode } from './cluster/node.js';

export interface RunningApp {
  config: Config;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  pipeline: Pipeline;
  batcher: Batcher;
  /** The one commit path (see pipeline/commit.ts). */
  writer: CommitWriter;
  devices: DeviceRegistry;
  /** The retention job (tests run a pass with runOnce) and which retention applies to which device. */
  retention: RetentionJob;
  retentionRules: RetentionRules;
  /** The embedded broker (null when an external broker is configured). */
  broker: EmbeddedBroker | null;
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
  /** Set on the first start only: the generated admin password, to be shown once. */
  initialAdminPassword: string | null;
  /** The file holding the generated admin password, while it exists (the operator deletes it after changing the password). */
  initialAdminPasswordFile: string | null;
  /** Checks the conditions of system alarms (store, spool, broker, serial, channels, disk). */
  systemMonitor: SystemMonitor;
  /** Model bundles and their serving (docs/models.md). */
  models: ModelServices;
  /** Run-once jobs, the change feed and per-device rebuilds, for several nodes on one PostgreSQL (docs/scale-out.md). */
  sharedState: SharedState;
  /** Cluster mode (docs/scale-out.md): partition leases, consumers and the live fan-out; null on a single node. */
  cluster: ClusterNode | null;
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

/**
 * Wires sources -> pipeline -> store -> followers -> api as a list of components, started in that
 * order and stopped in reverse. Each part is built once the parts before it have started, so it
 * may use what they loaded; a start that fails part-way undoes what had started (see components.ts).
 */
export async function startApp(config: Config, opts: { logger?: Logger; wrapStore?: (store: Store) => Store } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Refuse an open door before anything listens: anonymous access only on loopback.
  accessPolicy(config);
  for (const k of ['spoolAlarmRatio', 'diskAlarmFreeRatio'] as const) {
    if (!(config[k] >= 0 && config[k] <= 1)) throw new ConfigError(`${k} must be a fraction in [0, 1], got ${config[k]}`);
  }
  const mqttLimits = brokerLimits(config);
  const tls = readTls(config);
  const metrics = createMetrics();
  const dataDir = resolve(config.dataDir);
  // Tests wrap the store to make it fail for a while; the data path stays the real one.
  const engine: Store = createStore(config, {
    onReadTimeout: (_op, running) => {
      if (running) metrics.readWorkersReplaced.inc();
    },
    onRead: (op, queuedSec, runSec) => {
      metrics.readSeconds.observe({ op, stage: 'queued' }, queuedSec);
      metrics.readSeconds.observe({ op, stage: 'running' }, runSec);
    },
    onWriterCommit: (s) => {
      metrics.sqliteCommitStageSeconds.observe({ stage: 'turn' }, s.turnSec);
      metrics.sqliteCommitStageSeconds.observe({ stage: 'transaction' }, s.transactionSec);
      metrics.sqliteCommitStageSeconds.observe({ stage: 'handover' }, s.handoverSec);
    },
    onWriterCrash: (err) => {
      metrics.writerThreadCrashes.inc();
      logger.error({ err: err.message, component: 'store' }, 'SQLite writer thread died; its writes were refused and will be spooled or retried');
    },
  });
  const store: Store = opts.wrapStore ? opts.wrapStore(engine) : engine;
  const runner = new Runner((name, err) => logger.warn({ err: err.message, component: name }, 'stop failed'));
  const app = {} as RunningApp;
  await runner.start(components(config, { logger, metrics, dataDir, store, tls, mqttLimits }, app));
  return Object.assign(app, { stop: () => runner.stop() });
}

interface Basics {
  logger: Logger;
  metrics: Metrics;
  dataDir: string;
  store: Store;
  tls: { cert: Buffer; key: Buffer } | undefined;
  mqttLimits: ReturnType<typeof brokerLimits>;
}

/** The running program, in start order. Fills `app` with what tests and the CLI look at. */
async function* components(config: Config, { logger, metrics, dataDir, store, tls, mqttLimits }: Basics, app: RunningApp): AsyncGenerator<Component> {
  Object.assign(app, { config, store, metrics, logger, simulator: null });
  yield component(
    'store',
    () => store.open(),
    () => store.close(),
  );

  // Jobs that must run once per store: here alone on SQLite; on PostgreSQL, on whichever node holds the lease.
  const runOnce = runOnceFor(config, store, logger);
  yield component(
    'run-once',
    () => runOnce.start(),
    () => runOnce.stop(),
  );
  runOnce.add({
    name: 'audit-retention',
    start: () =>
      startAuditRetention(store.audit, {
        days: config.auditRetentionDays,
        onError: (err) => logger.error({ err: err.message }, 'audit retention pass failed'),
      }),
  });
  const exportDir = config.exportDir;
  if (exportDir) {
    runOnce.add({
      name: 'daily-export',
      start: () =>
        startDailyExport(store.telemetry, resolve(exportDir), {
          onError: (err) => logger.error({ err: err.message }, 'daily export failed'),
          onWritten: (files) => logger.info({ files }, 'daily export written'),
        }),
    });
  }

  const profiles = ProfileRegistry.load(config.profilesDir);
  for (const p of await store.catalog.listProfiles()) profiles.set(p);
  const devices = new DeviceRegistry({ offlineAfterMs: config.offlineAfterMs, profiles });
  const retentionRules = new RetentionRules({
    base: store.telemetry.retention,
    rawHoursByProfile: config.retentionRawHoursByProfile,
    rawHoursByDevice: config.retentionRawHoursByDevice,
    profiles,
    store: store.retention,
  });
  const retentionOpts = {
    policy: () => retentionRules.policy(),
    onError: (err: Error) => logger.error({ err: err.message }, 'retention pass failed'),
    onDone: (r: RetentionResult) => logRetentionPass(r, metrics, logger),
  };
  // Timed passes run once per store (the lease holder's); a pass asked for now runs here.
  runOnce.add({ name: 'retention', start: () => startRetentionJob(store.telemetry, retentionOpts) });
  const retention = startRetentionJob(store.telemetry, { ...retentionOpts, timed: false });
  Object.assign(app, { retention, retentionRules });
  yield component(
    'retention',
    () => {},
    () => retention.stop(),
  );
  // The baseline for noticing devices that another process (an import) adds from here on.
  await store.telemetry.devicesChangedElsewhere();
  const stored = await store.telemetry.listDevices();
  yield component(
    'device-registry',
    () => (devices.load(stored), devices.startSweeping()),
    () => devices.stop(),
  );

  const sequence = new SequenceTracker({
    received: (n) => metrics.seqReceived.inc(n),
    duplicates: (n) => metrics.seqDuplicates.inc(n),
    outOfOrder: (n) => metrics.seqOutOfOrder.inc(n),
    restarts: (n) => metrics.seqRestarts.inc(n),
    missing: (n) => metrics.seqMissing.inc(n),
  });
  sequence.load(await store.catalog.loadSequenceState());
  const spool = new Spool(join(dataDir, 'spool', 'spool.log'), { maxBytes: config.spoolMaxBytes });
  yield component(
    'spool',
    () => spool.open(),
    () => spool.close(),
  );

  const writer = new CommitWriter(store.telemetry, (err) => logger.error({ err: err.message, stack: err.stack }, 'a follower of the commit path failed'));
  writer.knowDevices(stored.map((d) => d.id));
  const foreignDevices = new ForeignDevices({
    store: store.telemetry,
    registry: devices,
    adopted: (ids) => writer.knowDevices(ids),
    intervalMs: 1000,
    onError: (err) => logger.warn({ err: err.message }, 'looking for devices added by another process failed'),
  });
  yield component(
    'foreign-devices',
    () => foreignDevices.start(),
    () => foreignDevices.stop(),
  );
  const analyticsOptions = { vectors: config.l2Vectors, zWindowMs: config.zWindowMs };
  const analytics = new Analytics(analyticsOptions);
  const alarms = new AlarmEngine({
    store: store.alarms,
    analytics,
    devices,
    logger,
    label: (profile, metric, v) => labelOf(profile ? profiles.get(profile)?.metrics[metric] : undefined, v),
    // Shared store: silence is judged once for the cluster, from last-seen times every node commits.
    silenceSweep: isShared(store) ? 'external' : 'local',
    // Shared store: each device's last judged message is written with the alarm state it produced, so
    // whoever takes the device over judges exactly what was committed after it (docs/scale-out.md).
    // In cluster mode judgements are fenced by the partition's lease, like commits.
    ...(isShared(store) && store.alarms.atomically ? { watermarks: { fenceOf: (device: string) => judgingFence(device) } } : {}),
  });
  // Bound once the cluster node exists (below); undefined: one node on a shared store, nothing to fence.
  let judgingFence: (device: string) => PartitionFence | null | undefined = () => undefined;
  if (isShared(store)) runOnce.add({ name: 'nodata', start: () => alarms.startSilenceSweep(() => store.telemetry.listDevices(), 1000) });
  const notify = buildChannels(config, process.env, (message) => logger.warn(message));
  const systemAlarms = new SystemAlarms(store.alarms, logger);
  const openAlarms = () => [...alarms.openAlarms(), ...systemAlarms.openAlarms()];
  const operatorMetrics = createOperatorMetrics(metrics.registry, {
    openAlarms,
    devices: () => devices.each(),
    sequence: (d) => sequence.state(d),
    spoolLimitBytes: config.spoolMaxBytes,
  });
  const dispatcher = new Dispatcher(notify.channels, store.alarms, logger, operatorMetrics.delivered);
  alarms.onChange((c) => {
    dispatcher.handle(c);
    systemAlarms.observe(c);
  });
  systemAlarms.onChange((c) => dispatcher.handle(c));
  devices.onChange((ev) => ev.online || alarms.checkSilence({ id: ev.device, profile: ev.profile ?? null, lastSeen: ev.lastSeen }));
  yield component(
    'notify',
    () => dispatcher.startEscalation(openAlarms),
    () => dispatcher.stop(),
  );
  // After notify: on stop, what system alarms still hold goes out before the dispatcher stops.
  yield component(
    'system-alarms',
    () => systemAlarms.start(),
    () => systemAlarms.idle(),
  );
  yield component(
    'alarm-engine',
    async () => {
      await alarms.start();
      if (!config.rulePacks) return;
      const added = await installRulePacks(profiles.list(), alarms, store.catalog, join(dataDir, 'alarms', 'rule-packs.json'));
      if (added.length) logger.info({ rules: added.map((r) => r.id) }, "installed the profiles' rule packs");
    },
    () => alarms.stop(),
  );
  const alarmServices: AlarmServices = { analytics, analyticsOptions, engine: alarms, dispatcher, toasts: notify.websocket, system: systemAlarms };

  // Only when commits run off this thread: otherwise the commit holding this thread fills the next batch already.
  const lingerMs = store.engine === 'sqlite' && config.sqliteWriterThread ? config.batchLingerMs : 0;
  const batcher = new Batcher(writer, { maxReadings: config.batchMaxReadings, lingerMs, sequence, spool, checkpoints: store.catalog }, metrics);
  // Replays what the spool holds on start; on stop, finishes what was taken before the store closes.
  yield component(
    'batcher',
    () => batcher.recover(),
    () => batcher.drain(),
  );
  const validator = new Validator({ boundProfile: (d) => devices.profileOf(d), profile: (n) => profiles.get(n) });
  // Single node: what transports take goes straight to the batcher. Cluster mode: this pipeline
  // stores what the partitions this node leases deliver, and `ingest` below is the transports' way in.
  const pipeline = new Pipeline({ batcher, metrics, logger, maxPayloadBytes: config.maxPayloadBytes, validator });
  seedClock(pipeline.clock, devices.list());
  const cluster = clusterNodeFor(config, {
    logger,
    registry: metrics.registry,
    judge: (inputs) => pipeline.judge(inputs),
    commit: (messages, rejected, fence) => batcher.add(messages, rejected, fence),
    fence: async (partition, token) => {
      if (!store.catalog.advancePartitionFence) throw new Error('cluster: the store cannot fence partition commits');
      return store.catalog.advancePartitionFence(partition, token);
    },
    loadSequenceState: () => store.catalog.loadSequenceState(),
    sequence,
    knownDevices: () => devices.list().map((d) => d.id),
  });
  if (cluster) judgingFence = (device) => cluster.fenceOf(device);
  const judgementGate = cluster ? new JudgementGate() : null;
  const ingest = cluster
    ? new Pipeline({
        batcher,
        metrics,
        logger,
        maxPayloadBytes: config.maxPayloadBytes,
        validator,
        clock: pipeline.clock,
        // Into the device's partition stream; answered once the stream has it. Dead letters stay here.
        sink: async (messages, rejected) => {
          const refused = await cluster.publish(messages);
          if (rejected.length || refused.length) await batcher.add([], [...rejected, ...refused]);
        },
      })
    : pipeline;
  // Predictions go through the same commit path as readings: stored, charted, alarmed on.
  const models = await createModels({
    folder: config.models,
    xgb: config.modelsXgb,
    dataDir,
    store,
    sink: (messages) => batcher.add(messages),
    stamp: (device) => pipeline.clock.stamp(device, Date.now()),
    profileOf: (device) => devices.profileOf(device),
    logger,
    metrics,
  });
  yield component(
    'models',
    () => {},
    () => models.stop(),
  );

  const { auth, initialAdminPassword, initialAdminPasswordFile } = await createAuth({ config, dataDir, store, metrics, logger });
  const dm = await createDeviceManagement({
    config,
    dataDir,
    store,
    devices,
    profiles,
    metrics,
    logger,
    resumeCommands: !isShared(store),
    shared: isShared(store),
  });
  if (isShared(store)) {
    // Two ack timeouts without a save: the node that sent it is gone.
    const ack = config.commandAckTimeoutMs;
    runOnce.add({ name: 'command-retries', start: () => dm.commands.startAdopting(2 * ack, ack) });
  }
  // The config file's mappings, then those added through the API (stored); the brokers read the live set.
  const configMappings = config.models ? withServeMlMapping(config.topicMappings) : config.topicMappings;
  const topicMappings = topicMappingsOf({ ...config, topicMappings: configMappings });
  const mappingCatalog = new MappingCatalog(store.catalog, topicMappings, configMappings);
  const { skipped } = await mappingCatalog.load();
  if (skipped.length) logger.warn({ skipped }, 'stored topic mappings that no longer fit beside the config file were not applied');
  const sources = buildSources(config, {
    pipeline: ingest,
    metrics,
    logger,
    tls,
    dm,
    access: new MqttAccess(auth),
    mappings: topicMappings,
    limits: mqttLimits,
  });
  const changes = changeFeedFor(store, logger);
  if (changes) {
    followSharedState(changes, {
      alarms,
      profiles,
      catalog: store.catalog,
      bindings: { telemetry: store.telemetry, registry: devices },
      commands: dm.commands,
      ota: dm.ota,
      auth,
      mappings: mappingCatalog,
      models,
    });
    yield component(
      'change-feed',
      () => changes.start(),
      () => changes.stop(),
    );
  }
  const sharedState: SharedState = {
    runOnce,
    changes,
    rebuildDevices: deviceRebuilder({
      telemetry: store.telemetry,
      alarmStore: store.alarms,
      analytics,
      alarms,
      sequence: { catalog: store.catalog, tracker: sequence },
      profileOf: (d) => devices.profileOf(d) ?? null,
      windowMs: Math.max(config.zWindowMs, 60_000),
      logger,
    }),
  };
  Object.assign(app, {
    sharedState,
    pipeline: ingest,
    cluster,
    batcher,
    writer,
    devices,
    sequence,
    spool,
    alarms: alarmServices,
    deviceServices: dm,
    auth,
    initialAdminPassword,
    initialAdminPasswordFile,
    broker: sources.broker,
    mqtt: sources.mqtt,
    serialLinks: sources.serial,
    models,
  });

  const http = await buildHttpServer({
    store,
    devices,
    profiles,
    retention: retentionRules,
    pipeline: ingest,
    batcher,
    writer,
    metrics,
    logger,
    // /health shows the cluster node (owned partitions, lag) beside the transports.
    sources: cluster ? [...sources.all, cluster] : sources.all,
    version,
    sequence,
    ...(cluster
      ? {
          sequenceState: async (device: string) =>
            cluster.owns(device) ? sequence.state(device) : ((await store.catalog.sequenceStateOf?.(device)) ?? sequence.state(device)),
        }
      : {}),
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
    mappings: mappingCatalog,
    corsOrigins: (config.corsOrigin ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    tls,
  });
  app.http = http;

  // Who follows the commit path, in this order: the registry first (it binds profiles that
  // analytics and alarms look up), then alarms (and live analytics), then the live feed.
  // History (imports, spool replays) reaches only the registry.
  writer.onCommitted((c) => devices.committed(c));
  // Cluster mode: devices of a partition just taken over are judged once their state is rebuilt (src/cluster/judgement-gate.ts).
  writer.onCommitted((c) => c.historical || alarms.observe(judgementGate ? judgementGate.pass(c.messages) : c.messages));
  // The live feed sees a validated batch before its commit (docs/live-latency.md); what the batcher
  // could not show early (fenced, or no spool) it sees here, after the commit.
  batcher.onValidated((messages) => http.live.readings(messages));
  // Of a batch not shown before its commit, what the batcher showed as it arrived is left out (shownBefore).
  writer.onCommitted((c) => c.historical || c.shown || http.live.readings(c.shownBefore ? c.messages.filter((m) => !c.shownBefore!.has(m)) : c.messages));
  writer.onCommitted((c) => c.historical || models.server.observe(c.messages));

  if (cluster) {
    // Every node shows every device: what another node committed reaches the registry and the live feed here.
    writer.onCommitted((c) => c.historical || cluster.announce(c.messages));
    cluster.onRemoteCommitted((messages) => {
      devices.committed({ messages, readings: [], devices: [], historical: false });
      http.live.readings(messages);
    });
    // Analytics windows and rule timers of the partition's devices, as their last owner left them,
    // before the first new message of theirs is processed here.
    // The partition is consumed meanwhile: its devices' judgement waits in the gate (held before the first delivery).
    cluster.onPartitionAcquired((_partition, ids) => {
      judgementGate!.hold(ids);
      return sharedState.rebuildDevices(ids, judgementGate!);
    });
    cluster.onRebuildFailed((_partition, ids) => judgementGate!.drop(ids));
    // Handing a partition over: the rules finish judging what was committed here (open alarms, repeat
    // counts, delay timers written) before the lease goes and the next owner reads them.
    cluster.onPartitionReleased(() => alarms.idle());
    // Before the HTTP port opens: the transports publish into the partitions from their first message.
    yield component(
      'cluster',
      () => cluster.start(),
      () => cluster.stop(),
    );
  }

  yield component(
    'http',
    () => http.app.listen({ host: config.host, port: config.httpPort }).then(() => undefined),
    async () => {
      http.live.closeAll();
      await http.app.close();
    },
  );
  for (const source of sources.all)
    yield component(
      `source:${source.name}`,
      () => source.start(),
      () => source.stop(),
    );

  const monitor = new SystemMonitor({
    alarms: systemAlarms,
    store,
    spool: () => ({ bytes: spool.depthBytes, maxBytes: config.spoolMaxBytes }),
    spoolRatio: config.spoolAlarmRatio,
    broker: sources.mqtt instanceof ExternalBroker ? sources.mqtt : null,
    serial: sources.serial,
    channels: () => dispatcher.health(),
    diskPath: dataDir,
    diskFreeRatio: config.diskAlarmFreeRatio,
    intervalMs: config.systemCheckMs,
  });
  app.systemMonitor = monitor;
  yield component(
    'system-monitor',
    () => monitor.start(),
    () => monitor.stop(),
  );

  const httpPort = (http.app.server.address() as AddressInfo).port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.httpUrl = `${tls ? 'https' : 'http'}://${urlHost}:${httpPort}`;
  const served = sources.broker ?? sources.listeners;
  app.mqttUrl = served ? `${tls ? 'mqtts' : 'mqtt'}://${urlHost}:${served.port}` : config.broker!;
  dm.setBaseUrl(config.host === '0.0.0.0' || config.host === '::' ? `${tls ? 'https' : 'http'}://127.0.0.1:${httpPort}` : app.httpUrl);
  yield component(
    'device-management',
    async () => {
      await dm.start();
      // Shared store: one node sends the rollouts' images and times devices out; added once the transports can reach devices.
      if (isShared(store)) runOnce.add({ name: 'ota-rollouts', start: () => dm.ota.drive() });
    },
    () => dm.stop(),
  );

  // The simulator speaks plain MQTT to the embedded broker; with TLS on, run `fieldscope simulate` against mqtts instead.
  const embedded = sources.broker ?? sources.listeners;
  if (config.simulator && embedded && !tls) {
    yield component(
      'simulator',
      async () => {
        app.simulator = await startSimulator({
          // Anonymous devices may be refused (insecure-local off): it signs in as the in-process service.
          username: auth.internal.username,
          password: auth.internal.password,
          brokerUrl: `mqtt://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : urlHost}:${embedded.port}`,
          devices: config.simDevices,
          rateHz: config.simRateHz,
          log: (msg) => logger.debug(msg),
        });
      },
      () => app.simulator?.stop(),
    );
  }
}
