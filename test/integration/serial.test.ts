import { test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { requireServices } from '../helpers/services.js';
import { startPtyPair } from '../helpers/socat.js';
import { SerialSimDevice } from '../../src/sim/serial-device.js';

const { skip } = requireServices('serial', 'socat');

async function storedSeqs(app: Awaited<ReturnType<typeof startTestApp>>, device: string): Promise<number[]> {
  const rows = await app.store.alarms.replayReadings({ device, from: 0, to: Date.now() + 60_000, limit: 100_000 });
  return rows
    .filter((r) => r.metric === 'v')
    .map((r) => r.seq!)
    .sort((x, y) => x - y);
}

test('serial link: damaged and dropped frames are NACKed / asked for again, every reading is stored once, and a pulled cable resumes', { skip }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const pty = await startPtyPair(d.dir);
  t.after(() => pty.kill());
  const app = await startTestApp({ dataDir: d.dir, serial: `${pty.a}:115200=meter-1` });
  t.after(() => app.stop());
  const link = app.serialLinks[0];
  await until(() => link.isOpen, { what: 'serial port open' });

  const total = 60;
  const sim = new SerialSimDevice({
    path: pty.b,
    intervalMs: 20,
    corruptSeqs: [3, 10, 11],
    dropSeqs: [5, 20, 21, 22],
    ackTimeoutMs: 1500,
    maxFrames: total,
    reopenMs: 100,
  });
  t.after(() => sim.stop());
  sim.start();

  // Halfway through, the cable is pulled and plugged back in.
  await until(() => sim.seq >= 30, { what: '30 frames sent' });
  await pty.kill();
  await until(() => !link.isOpen, { timeoutMs: 30_000, what: 'link noticed the cable is gone' });
  await new Promise((r) => setTimeout(r, 300));
  await pty.start();
  await until(() => link.isOpen && sim.isOpen, { what: 'both ends reopened' });

  await until(() => sim.seq === total && sim.pending === 0, { timeoutMs: 30_000, what: 'every frame acknowledged' });
  const seqs = await storedSeqs(app, 'meter-1');
  assert.deepEqual(
    seqs,
    Array.from({ length: total }, (_, i) => i + 1),
    'each seq stored exactly once',
  );

  const detail = link.describe().detail as unknown as Record<string, number>;
  assert.ok(sim.counters.corrupted === 3 && sim.counters.dropped === 4);
  assert.ok(sim.counters.nacked >= 3, `damaged frames were NACKed (${sim.counters.nacked})`);
  assert.ok(detail.resendRequests >= 4, `dropped frames were asked for (${detail.resendRequests})`);
  assert.ok(detail.reopens >= 1, 'the port was reopened');
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_serial_frames_total\{result="crc"\} [3-9]/);
  // The sequence accounting saw no hole at the end.
  const c = (await (await fetch(`${app.httpUrl}/api/v1/devices/meter-1/completeness?from=0&to=${Date.now() + 60_000}`)).json()) as Record<string, number>;
  if (c.received !== undefined) assert.equal(c.missing, 0);
});

test('serial link: commands round trip (set_interval really changes the rate), and an unanswered command times out after retries', { skip }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const pty = await startPtyPair(d.dir);
  t.after(() => pty.kill());
  const app = await startTestApp({ dataDir: d.dir, serial: `${pty.a}=meter-2`, commandAckTimeoutMs: 300, commandMaxAttempts: 3 });
  t.after(() => app.stop());
  const sim = new SerialSimDevice({ path: pty.b, intervalMs: 200, reopenMs: 100 });
  t.after(() => sim.stop());
  sim.start();
  await until(() => app.devices.get('meter-2'), { what: 'device seen' });

  const post = (body: unknown) =>
    fetch(`${app.httpUrl}/api/v1/devices/meter-2/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await post({ name: 'set_interval', params: { ms: 25 } });
  const cmd = (await res.json()) as { id: string; transport: string };
  assert.equal(res.status, 202, JSON.stringify(cmd));
  assert.equal(cmd.transport, 'serial');
  await until(
    async () => {
      const list = (await (await fetch(`${app.httpUrl}/api/v1/devices/meter-2/commands`)).json()) as { commands: Array<{ id: string; status: string }> };
      return list.commands.find((c) => c.id === cmd.id)?.status === 'acked';
    },
    { what: 'set_interval acked' },
  );
  assert.equal(sim.intervalMs, 25);
  // The new rate shows in what arrives: 40 frames at 25 ms come long before 40 at 200 ms would.
  const from = sim.seq;
  await until(() => sim.seq >= from + 40, { timeoutMs: 5000, what: 'frames at the new interval' });

  const bad = await post({ name: 'set_interval', params: { ms: 1 } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { field: string }).field, 'params.ms');
  const unknown = await post({ name: 'self_destruct' });
  assert.equal(unknown.status, 400);
  assert.equal(((await unknown.json()) as { rule: string }).rule, 'known_command');

  // The device goes deaf: the command is sent 3 times, then times out.
  await sim.stop();
  const lost = (await (await post({ name: 'reboot' })).json()) as { id: string };
  const final = await until(
    async () => {
      const list = (await (await fetch(`${app.httpUrl}/api/v1/devices/meter-2/commands`)).json()) as {
        commands: Array<{ id: string; status: string; attempts: number }>;
      };
      const c = list.commands.find((x) => x.id === lost.id);
      return c && c.status === 'timed_out' ? c : undefined;
    },
    { what: 'reboot timed out' },
  );
  assert.equal(final.attempts, 3);
});

test(
  "serial link: seed 001's frames as they are (plain JSON, no crc) are stored and acked, counted unverified; a crc-only port refuses them",
  { skip },
  async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    const pty = await startPtyPair(d.dir);
    t.after(() => pty.kill());
    const strictDir = join(d.dir, 'strict');
    mkdirSync(strictDir);
    const pty2 = await startPtyPair(strictDir);
    t.after(() => pty2.kill());
    const app = await startTestApp({ dataDir: d.dir, serial: `${pty.a}:115200=ina-seed,${pty2.a}=ina-strict@crc`, retentionRawHours: 24 * 365 * 50 });
    t.after(() => app.stop());
    await until(() => app.serialLinks.every((l) => l.isOpen), { what: 'serial ports open' });

    // The seed's exact line, written by hand as the Arduino sketch does.
    const { SerialPort } = await import('serialport');
    const replies: string[] = [];
    const port = new SerialPort({ path: pty.b, baudRate: 115200 });
    t.after(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
    port.on('data', (b: Buffer) => replies.push(...b.toString().split('\n').filter(Boolean)));
    await new Promise((r) => port.once('open', r));
    port.write('{"v": 5.02, "a": 0.245, "w": 1.23, "ts": 1712345678, "seq": 123}\n');
    port.write('{"v":5.02,"a":0.245,"w":1.23,"ts":1712345679,"seq":124,"status":"ok"}\n');
    await until(() => replies.filter((r) => r.includes('"ack"')).length === 2, { what: 'two acks' });
    assert.deepEqual(
      replies.map((r) => JSON.parse(r).ack),
      [123, 124],
    );
    const rows = await app.store.alarms.replayReadings({ device: 'ina-seed', from: 0, to: Date.now(), limit: 100 });
    assert.deepEqual(
      rows.filter((r) => r.metric === 'w').map((r) => [r.ts, r.value, r.seq]),
      [
        [1712345678000, 1.23, 123],
        [1712345679000, 1.23, 124],
      ],
    );
    assert.equal((app.serialLinks[0].describe().detail as unknown as Record<string, number>).unverified, 2);
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    assert.match(metrics, /fieldscope_serial_frames_total\{result="unverified"\} 2/);

    // The simulator without crc: drops are asked for again and every frame lands; w = v x a on the wire.
    const sim = new SerialSimDevice({ path: pty.b, intervalMs: 20, dropSeqs: [3, 4], maxFrames: 15, crc: false, ackTimeoutMs: 800 });
    await new Promise<void>((r) => port.close(() => r()));
    t.after(() => sim.stop());
    sim.start();
    await until(() => sim.seq === 15 && sim.pending === 0, { timeoutMs: 20_000, what: 'every plain frame acknowledged' });
    const simRows = await app.store.alarms.replayReadings({ device: 'ina-seed', from: Date.now() - 60_000, to: Date.now() + 1000, limit: 1000 });
    const by = new Map<number, Record<string, number>>();
    for (const r of simRows) by.set(r.seq!, { ...by.get(r.seq!), [r.metric]: r.value });
    assert.deepEqual(
      [...by.keys()].sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    for (const [, v] of by) assert.ok(Math.abs(v.w - v.v * v.a) < 1e-3 && v.w > 0, `w = v x a: ${JSON.stringify(v)}`);

    // A port that requires the crc NACKs the same line.
    const strict = new SerialPort({ path: pty2.b, baudRate: 115200 });
    t.after(() => new Promise<void>((r) => (strict.isOpen ? strict.close(() => r()) : r())));
    const strictReplies: string[] = [];
    strict.on('data', (b: Buffer) => strictReplies.push(...b.toString().split('\n').filter(Boolean)));
    await new Promise((r) => strict.once('open', r));
    strict.write('{"v":5.02,"a":0.245,"w":1.23,"ts":1712345679,"seq":7,"status":"ok"}\n');
    await until(() => strictReplies.length > 0, { what: 'a nack' });
    assert.deepEqual({ nack: JSON.parse(strictReplies[0]).nack, reason: JSON.parse(strictReplies[0]).reason }, { nack: 7, reason: 'no_crc' });
  },
);

test('a serial port from the sources.serial config section is a running source; an unknown source type stops the start', { skip }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const pty = await startPtyPair(d.dir);
  t.after(() => pty.kill());
  await assert.rejects(
    startTestApp({ dataDir: d.dir, sources: { modbus: [] } }),
    /sources\.modbus: no such source type \(have: mqtt-broker, mqtt-client, serial, mqtt-listeners\)/,
  );
  const app = await startTestApp({ dataDir: d.dir, sources: { serial: [{ path: pty.a, deviceId: 'meter-section', integrity: 'optional' }] } });
  t.after(() => app.stop());
  await until(() => app.serialLinks[0]?.isOpen, { what: 'serial port open' });
  const sim = new SerialSimDevice({ path: pty.b, intervalMs: 20, ackTimeoutMs: 1500, maxFrames: 5, reopenMs: 100 });
  t.after(() => sim.stop());
  sim.start();
  await until(() => sim.seq === 5 && sim.pending === 0, { timeoutMs: 20_000, what: 'five frames acknowledged' });
  assert.deepEqual(await storedSeqs(app, 'meter-section'), [1, 2, 3, 4, 5]);
  const health = (await (await fetch(`${app.httpUrl}/health`)).json()) as { components: Record<string, { status: string }> };
  assert.equal(health.components.serial?.status, 'up');
});
