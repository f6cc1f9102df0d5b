#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';
import { loadConfig, options, ConfigError, type Config } from './config.js';
import { startApp } from './app.js';
import { startSimulator } from './sim/simulator.js';
import { version } from './version.js';
import { ImportError } from './import/column-map.js';
import { CsvParseError } from './import/csv-reader.js';
import { serviceClientIdPrefix } from './auth/client-id.js';

const HELP = `fieldscope ${version}: sensor telemetry from field devices to the people who act on it

Usage:
  fieldscope start [options]          broker, store, API, dashboard and simulator in one process
  fieldscope simulate --broker URL    simulated devices publishing to any MQTT broker
  fieldscope simulate --serial PATH   one simulated device speaking the serial protocol on PATH
  fieldscope import FILE.csv|FILE.ndjson [--device ID] [--map col=metric,...] [--start TIME] [--data DIR]
                                      load history in bulk (resumable; re-importing adds nothing)

start options (env in brackets; also from a JSON/YAML file: --config FILE [FIELDSCOPE_CONFIG]):
  --host H               address to bind [FIELDSCOPE_HOST] (default 127.0.0.1)
  --http-port N          HTTP port, 0 = any free one [FIELDSCOPE_HTTP_PORT] (default 8080)
  --mqtt-port N          embedded MQTT broker port, 0 = any free one [FIELDSCOPE_MQTT_PORT] (default 1883)
  --data DIR             data directory [FIELDSCOPE_DATA] (default ./data)
  --no-simulator         do not start the built-in simulated devices [FIELDSCOPE_SIMULATOR=false]
  --sim-devices N        simulated devices [FIELDSCOPE_SIM_DEVICES] (default 4)
  --sim-rate HZ          messages per second per simulated device [FIELDSCOPE_SIM_RATE] (default 1)
  --profiles DIR         extra device profiles (JSON/YAML) [FIELDSCOPE_PROFILES]
  --log-level L          fatal|error|warn|info|debug [FIELDSCOPE_LOG_LEVEL] (default warn)
  --store S              sqlite, or postgres://user@host:port/db [FIELDSCOPE_STORE] (default sqlite)
  --retention-raw-hours H   raw readings kept [FIELDSCOPE_RETENTION_RAW_HOURS] (default 48)
  --retention-raw-hours-by-profile JSON  raw hours per profile, e.g. '{"factory":720}' [FIELDSCOPE_RETENTION_RAW_HOURS_BY_PROFILE]
  --retention-raw-hours-by-device JSON   raw hours per device [FIELDSCOPE_RETENTION_RAW_HOURS_BY_DEVICE]
  --retention-1m-days D     1-minute rollups kept [FIELDSCOPE_RETENTION_1M_DAYS] (default 30)
  --retention-1h-days D     1-hour rollups kept [FIELDSCOPE_RETENTION_1H_DAYS] (default 730)
  --export-dir DIR       write one CSV per UTC day here [FIELDSCOPE_EXPORT_DIR]
  --models DIR           model bundles, <equipment_id>/<power>/<model_version>/ (docs/models.md) [FIELDSCOPE_MODELS]
  --broker URL           use an external MQTT broker (mqtt://host:port, mqtts://) instead of the embedded one [FIELDSCOPE_BROKER]
  --broker-username U    [FIELDSCOPE_BROKER_USERNAME]; the password comes from FIELDSCOPE_BROKER_PASSWORD or --broker-password-file F
  --broker-ca F --broker-cert F --broker-key F   TLS files (PEM)
  --broker-client-id ID  stable client id for the persistent session (default fieldscope-HOSTNAME)
  --spool-max-bytes N    disk kept for readings while the store is down [FIELDSCOPE_SPOOL_MAX_BYTES] (default 1 GiB)
  --store-min-free-bytes N  free disk under which /health reports the SQLite store degraded and its WAL is truncated
                         [FIELDSCOPE_STORE_MIN_FREE_BYTES] (default 64 MiB)
  --serial PATH[:BAUD] --serial-device ID   a device on a serial port (baud default 115200); repeat the pair
                         for more [FIELDSCOPE_SERIAL="PATH[:BAUD]=ID[@INTEGRITY],..."]; protocol: docs/serial-protocol.md
  --serial-integrity M   crc|optional|none: what a frame's CRC must be (default optional: checked when present,
                         frames without one stored and counted unverified) [FIELDSCOPE_SERIAL_INTEGRITY]
  --topic-mappings JSON  a fleet's own MQTT topics, docs/topic-mappings.md [FIELDSCOPE_TOPIC_MAPPINGS]
  --public-url URL       how devices reach this server, for OTA downloads [FIELDSCOPE_PUBLIC_URL]
  --command-ack-timeout-ms N  --command-max-attempts N   command retries (default 10000 ms, 3 sends)

cluster mode (docs/scale-out.md; needs a postgres:// store):
  --cluster URLS         NATS servers, comma-separated: consume the device partitions this node leases [FIELDSCOPE_CLUSTER]
  --cluster-partitions N partitions, equal to the NATS {{partition(N,1)}} mapping (default 8) [FIELDSCOPE_CLUSTER_PARTITIONS]
  --cluster-node-id ID   this node's unique name (default HOST-PID) [FIELDSCOPE_CLUSTER_NODE_ID]
  --cluster-lease-ms MS  a partition lease not renewed for this long moves (default 3000) [FIELDSCOPE_CLUSTER_LEASE_MS]
  --cluster-replicas N   replicas of partition streams and the lease bucket (default 3) [FIELDSCOPE_CLUSTER_REPLICAS]

security (docs/security.md):
  --no-insecure-local    require sign-in even on 127.0.0.1 [FIELDSCOPE_INSECURE_LOCAL=false]; the default, insecure-local,
                         lets anonymous callers read and anonymous MQTT devices publish, and is refused on any other --host
  --anonymous-role R     none|viewer|operator|admin for callers without credentials, loopback only (tests, demos) [FIELDSCOPE_ANONYMOUS_ROLE]
  --unknown-devices M    reject|provision: an MQTT device with no token yet (provision: its first password becomes its token)
  --admin-password-file F    first start only: the admin's password from a file [FIELDSCOPE_ADMIN_PASSWORD_FILE, or FIELDSCOPE_ADMIN_PASSWORD]
  --tls-cert F --tls-key F   serve HTTPS and MQTTS (PEM files) [FIELDSCOPE_TLS_CERT, FIELDSCOPE_TLS_KEY]
  --cors-origin LIST     browser origins allowed to call the API, comma-separated (default: none) [FIELDSCOPE_CORS_ORIGIN]
  --api-rate N --api-burst N       requests per second per IP and per user (default 100, bursts of 500; 0 = off)
  --device-rate N --device-burst N messages per second per device (default 1000, bursts of 2000; 0 = off)
  --login-slow-after N --login-lock-after N --login-lock-ms MS   failed sign-ins before slowing / locking (3, 10, 15 min)
  --mqtt-max-per-ip N    embedded broker: open connections per address (default 1000; 0 = no limit) [FIELDSCOPE_MQTT_MAX_PER_IP]
  --mqtt-max-pending N   connections not yet signed in, all addresses (default 500) [FIELDSCOPE_MQTT_MAX_PENDING]
  --mqtt-listeners N     serve MQTT from N listener processes (each its own descriptor limit; docs/many-devices.md) [FIELDSCOPE_MQTT_LISTENERS] (default 0: in-process)
  --mqtt-max-connections N   all connections (default: open-file limit less 1024, kept for HTTP and the store)
  --mqtt-connect-timeout-ms MS   CONNECT (and TLS handshake) must arrive within (default 10000)
  --mqtt-connect-max-bytes N     largest packet before signing in (default 16384); --mqtt-max-packet-bytes N after
                         (default max-payload + 64 KiB, at least 1 MiB)

history reads (docs/queries.md):
  --read-timeout-ms N    time limit of one read (default 5000; past it: 503 read_time_limit) [FIELDSCOPE_READ_TIMEOUT_MS]
  --read-workers N       reader threads, each with its own connection (default 3) [FIELDSCOPE_READ_WORKERS]
  --read-max-rows N      most readings one request returns (default 200000; more: 413 max_rows) [FIELDSCOPE_READ_MAX_ROWS]
  --read-concurrency N --read-concurrency-per-caller N   reads at once, in all and per caller (default 16, 4)
  --read-rows-rate N --read-rows-burst N   readings per second per caller (default 1000000, bursts of 2000000; 0 = off)

simulate options:
  --broker URL           mqtt://host:port (required)
  --devices N            number of devices, kinds in turn: ina219, battery, factory, vibration (default 4)
  --kinds LIST           the kinds to cycle through instead, e.g. bearing (run-to-failure, docs/models.md)
  --rate HZ              messages per second per device (default 1)
  --prefix P             prepended to device ids
  --username U --password-file F   broker credentials (the password is read from a file, never a flag)
  --serial PATH[:BAUD]   instead of MQTT: one device on a serial port (or pty), docs/serial-protocol.md
  --kind K               its kind (default ina219); --rate applies
  --corrupt-rate F --drop-rate F   fraction of first transmissions damaged / not written (default 0)
  --no-crc               plain JSON lines without a crc member, as seed 001's meter writes them
`;

function fail(message: string): never {
  process.stderr.write(`fieldscope: ${message}\n`);
  process.exit(2);
}

function startFlags(argv: string[]): { flags: Partial<Record<keyof Config, unknown>>; file?: string } {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
    'no-simulator': { type: 'boolean' },
    'no-insecure-local': { type: 'boolean' },
    serial: { type: 'string', multiple: true },
    'serial-device': { type: 'string', multiple: true },
  };
  for (const o of Object.values(options)) spec[o.flag] = { type: o.kind === 'bool' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
  const flags: Partial<Record<keyof Config, unknown>> = {};
  for (const [key, o] of Object.entries(options)) {
    const v = values[o.flag];
    if (v !== undefined) flags[key as keyof Config] = v;
  }
  if (values['no-simulator']) flags.simulator = false;
  if (values['no-insecure-local']) flags.insecureLocal = false;
  const ports = (values.serial as string[] | undefined) ?? [];
  const ids = (values['serial-device'] as string[] | undefined) ?? [];
  if (ports.length !== ids.length) throw new ConfigError(`give one --serial-device ID per --serial PORT (got ${ports.length} ports and ${ids.length} ids)`);
  if (ports.length) flags.serial = ports.map((p, i) => `${p}=${ids[i]}`).join(',');
  return { flags, file: values.config as string | undefined };
}

async function start(argv: string[]): Promise<void> {
  const { flags, file } = startFlags(argv);
  const config = loadConfig({ flags, file });
  const app = await startApp(config);
  const lines = [
    `Fieldscope ${version} is running`,
    `  Dashboard  ${app.httpUrl}/`,
    `  API docs   ${app.httpUrl}/docs`,
    `  MQTT       ${app.mqttUrl}   (publish JSON to devices/{id}/telemetry)`,
    // A postgres URL may carry a password: never print it.
    config.store === 'sqlite'
      ? `  Data       ${join(resolve(config.dataDir), 'fieldscope.db')}`
      : `  Data       ${config.store.replace(/\/\/[^@/]*@/, (m) => (m.includes(':') ? '//***@' : m))} (auth, spool: ${resolve(config.dataDir)})`,
    ...(app.cluster ? [`  Cluster    node ${app.cluster.opts.node}, ${app.cluster.opts.partitions} partitions (docs/scale-out.md)`] : []),
    app.simulator ? `  Simulator  ${app.simulator.devices.length} devices at ${config.simRateHz} Hz (--no-simulator turns it off)` : '  Simulator  off',
    `  Access     ${accessLine(app.auth.policy.anonymousRole, app.auth.policy.anonymousDevices)}`,
    ...(app.initialAdminPassword
      ? [
          '',
          '  First start: created user "admin" with this password (shown once; also in',
          `  ${join(resolve(config.dataDir), 'auth', 'initial-admin-password')}, readable by you only):`,
          '',
          `      ${app.initialAdminPassword}`,
          '',
          '  Sign in, change it (POST /api/v1/auth/password), then delete that file.',
        ]
      : app.initialAdminPasswordFile
        ? [
            '',
            "  The admin's initial password (made at the first start) is still in",
            `  ${app.initialAdminPasswordFile}`,
            '  Sign in as "admin" with it, change it (POST /api/v1/auth/password), then delete that file.',
          ]
        : []),
    'Ctrl-C to stop.',
  ];
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(130);
    process.stdout.write(`\n${signal}: stopping, finishing what was received...\n`);
    app.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`fieldscope: stop failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // The banner tells a supervisor (or a test) that Ctrl-C now stops cleanly: print it only after the
  // handlers are in place, since a pipe delivers it at once and a signal could otherwise kill us.
  process.stdout.write(lines.join('\n') + '\n');
}

function accessLine(anonymous: string | null, anonymousDevices: boolean): string {
  if (!anonymous) return 'sign-in required (users, API keys, device tokens)';
  const devices = anonymousDevices ? '; MQTT devices need no token' : '';
  return `anyone on this machine may act as ${anonymous} without signing in${devices} (loopback only; --no-insecure-local to require sign-in)`;
}

async function simulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      broker: { type: 'string' },
      devices: { type: 'string', default: '4' },
      rate: { type: 'string', default: '1' },
      prefix: { type: 'string' },
      username: { type: 'string' },
      'password-file': { type: 'string' },
      serial: { type: 'string' },
      kind: { type: 'string' },
      kinds: { type: 'string' },
      'corrupt-rate': { type: 'string' },
      'no-crc': { type: 'boolean' },
      'drop-rate': { type: 'string' },
    },
    strict: true,
  });
  if (values.serial) return simulateSerial(values);
  if (!values.broker) fail('simulate needs --broker mqtt://HOST:PORT or --serial PATH[:BAUD]');
  const devices = Number(values.devices);
  const rateHz = Number(values.rate);
  if (!Number.isInteger(devices) || devices < 1) fail('--devices must be a positive integer');
  if (!(rateHz > 0)) fail('--rate must be a positive number');
  let password: string | undefined;
  if (values['password-file']) {
    const { readFileSync } = await import('node:fs');
    password = readFileSync(values['password-file'], 'utf8').trim();
  }
  // Signed in as a user or with an API key, the client ids must be that identity's (src/auth/client-id.ts).
  const clientIdPrefix = serviceClientIdPrefix(values.username, password);
  const kinds = values.kinds
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean) as Parameters<typeof startSimulator>[0]['kinds'];
  const sim = await startSimulator({
    brokerUrl: values.broker,
    devices,
    rateHz,
    prefix: values.prefix,
    username: values.username,
    password,
    clientIdPrefix,
    kinds,
  });
  const shutdown = () =>
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(
    `Simulating ${sim.devices.length} devices at ${rateHz} Hz against ${values.broker}: ${sim.devices.map((d) => d.id).join(', ')}\nCtrl-C to stop.\n`,
  );
}

/** One simulated device on a serial port (docs/serial-protocol.md), damaging frames on demand. */
async function simulateSerial(values: Record<string, string | boolean | undefined>): Promise<void> {
  const { SerialSimDevice } = await import('./sim/serial-device.js');
  const { parseSerialSpec } = await import('./sources/serial/serial.js');
  const { isKindName } = await import('./sim/kinds.js');
  const { path, baudRate } = parseSerialSpec(String(values.serial));
  const rateHz = Number(values.rate ?? '1');
  if (!(rateHz > 0)) fail('--rate must be a positive number');
  const kind = values.kind === undefined ? 'ina219' : String(values.kind);
  if (!isKindName(kind)) fail('--kind must be one of ina219, battery, factory, vibration, bearing');
  const rate = (flag: string) => {
    const v = values[flag] === undefined ? 0 : Number(values[flag]);
    if (!(v >= 0 && v <= 1)) fail(`--${flag} must be a fraction in [0, 1]`);
    return v;
  };
  const dev = new SerialSimDevice({
    path,
    baudRate,
    kind,
    intervalMs: 1000 / rateHz,
    corruptRate: rate('corrupt-rate'),
    dropRate: rate('drop-rate'),
    crc: !values['no-crc'],
    log: (m) => process.stdout.write(m + '\n'),
  });
  dev.start();
  const shutdown = () =>
    dev.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(`Simulating a ${kind} device on ${path} at ${baudRate} baud, ${rateHz} Hz. Ctrl-C to stop.\n`);
}

async function importFromCli(argv: string[]): Promise<void> {
  const { importCommand, formatSummary } = await import('./import/import-command.js');
  const summary = await importCommand(argv).catch((err: Error & { line?: number }) => {
    // A malformed file (an unterminated quote) is the user's to fix, not a crash: name the line.
    if (err instanceof CsvParseError) fail(err.message);
    if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'EISDIR') fail(err.message);
    throw err;
  });
  process.stdout.write(formatSummary(summary));
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === 'start') await start(rest);
    else if (command === 'simulate') await simulate(rest);
    else if (command === 'import') await importFromCli(rest);
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') process.stdout.write(HELP);
    else if (command === '--version' || command === '-v') process.stdout.write(version + '\n');
    else fail(`unknown command "${command}"\n\n${HELP}`);
  } catch (err) {
    if (err instanceof ImportError) fail(err.message);
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((err as Error).message);
    if ((err as { code?: string }).code === 'EADDRINUSE')
      fail(`${(err as Error).message}: another program uses that port; pick another with --http-port/--mqtt-port (0 = any free port)`);
    throw err;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (isEntry) void main();
