import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tempDir, until } from '../helpers/app.js';

const root = new URL('../..', import.meta.url).pathname;

test('fieldscope start: prints one block, simulated devices flow, Ctrl-C exits cleanly with status 0', async (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'start', '--http-port', '0', '--mqtt-port', '0', '--data', data.dir, '--sim-rate', '5'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const url = await until(() => /Dashboard\s+(http:\/\/\S+?)\/\s/.exec(out)?.[1], { what: `startup banner (stderr: ${err})`, timeoutMs: 30_000 });
  assert.match(out, /API docs\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
  assert.match(out, /MQTT\s+mqtt:\/\/127\.0\.0\.1:\d+/);
  assert.ok(!/:8080|:1883/.test(out), 'port 0 picks free ports and prints them');

  // Every simulated kind shows up with its profile and values.
  const devices = await until(
    async () => {
      const body = (await (await fetch(`${url}/api/v1/devices`)).json()) as { devices: { id: string; profile: string; latest: Record<string, unknown> }[] };
      return body.devices.length >= 4 && body.devices.every((d) => Object.keys(d.latest).length > 0) ? body.devices : undefined;
    },
    { what: 'simulated devices', timeoutMs: 20_000 },
  );
  assert.deepEqual(devices.map((d) => d.profile).sort(), ['battery', 'factory', 'ina219', 'vibration']);

  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGINT');
  assert.equal(await exit, 0, `clean exit (stderr: ${err})`);
  assert.equal(err.trim(), '', 'nothing on stderr in a normal run');
});
