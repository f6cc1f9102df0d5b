#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';
import { loadConfig, options, ConfigError, type Config } from './config.js';
import { startApp } from './app.js';
import { startSimulator } from './sim/simulator.js';
import { version } from './version.js';

const HELP = `fieldscope ${version}: sensor telemetry from field devices to the people who act on it

Usage:
  fieldscope start [options]          broker, store, API, dashboard and simulator in one process
  fieldscope simulate --broker URL    simulated devices publishing to any MQTT broker

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

simulate options:
  --broker URL           mqtt://host:port (required)
  --devices N            number of devices, kinds in turn: ina219, battery, factory, vibration (default 4)
  --rate HZ              messages per second per device (default 1)
  --prefix P             prepended to device ids
  --username U --password-file F   broker credentials (the password is read from a file, never a flag)
`;

function fail(message: string): never {
  process.stderr.write(`fieldscope: ${message}\n`);
  process.exit(2);
}

function startFlags(argv: string[]): { flags: Partial<Record<keyof Config, unknown>>; file?: string } {
  const spec: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, 'no-simulator': { type: 'boolean' } };
  for (const o of Object.values(options)) spec[o.flag] = { type: o.kind === 'bool' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false });
  const flags: Partial<Record<keyof Config, unknown>> = {};
  for (const [key, o] of Object.entries(options)) {
    const v = values[o.flag];
    if (v !== undefined) flags[key as keyof Config] = v;
  }
  if (values['no-simulator']) flags.simulator = false;
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
    `  Data       ${join(resolve(config.dataDir), 'fieldscope.db')}`,
    app.simulator ? `  Simulator  ${app.simulator.devices.length} devices at ${config.simRateHz} Hz (--no-simulator turns it off)` : '  Simulator  off',
    'Ctrl-C to stop.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
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
    },
    strict: true,
  });
  if (!values.broker) fail('simulate needs --broker mqtt://HOST:PORT');
  const devices = Number(values.devices);
  const rateHz = Number(values.rate);
  if (!Number.isInteger(devices) || devices < 1) fail('--devices must be a positive integer');
  if (!(rateHz > 0)) fail('--rate must be a positive number');
  let password: string | undefined;
  if (values['password-file']) {
    const { readFileSync } = await import('node:fs');
    password = readFileSync(values['password-file'], 'utf8').trim();
  }
  const sim = await startSimulator({ brokerUrl: values.broker, devices, rateHz, prefix: values.prefix, username: values.username, password });
  process.stdout.write(`Simulating ${sim.devices.length} devices at ${rateHz} Hz against ${values.broker}: ${sim.devices.map((d) => d.id).join(', ')}\nCtrl-C to stop.\n`);
  const shutdown = () => sim.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === 'start') await start(rest);
    else if (command === 'simulate') await simulate(rest);
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') process.stdout.write(HELP);
    else if (command === '--version' || command === '-v') process.stdout.write(version + '\n');
    else fail(`unknown command "${command}"\n\n${HELP}`);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((err as Error).message);
    if ((err as { code?: string }).code === 'EADDRINUSE') fail(`${(err as Error).message}: another program uses that port; pick another with --http-port/--mqtt-port (0 = any free port)`);
    throw err;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (isEntry) void main();
