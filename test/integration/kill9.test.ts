import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { tempDir, until } from '../helpers/app.js';
import { startServerProcess } from '../helpers/server-process.js';

const startProcess = (dataDir: string) => startServerProcess(dataDir);

test('kill -9 mid-stream: every PUBACKed reading is there after a restart, exactly once', { timeout: 90_000 }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const first = await startProcess(d.dir);
  t.after(() => first.child.kill('SIGKILL'));
  // Within raw retention (48 h): dated 2025, a process that outlived its first retention pass (60 s
  // after start, a loaded machine) deleted them (mqtt-listeners.test.ts checks after that pass).
  const T0 = Date.now() - 3_600_000;
  const acked = new Set<number>();
  const client = mqtt.connect(first.mqtt, { clientId: 'kill9-device', reconnectPeriod: 0 });
  client.on('error', () => undefined);
  await new Promise((r) => client.once('connect', r));
  let seq = 0;
  let killed = false;
  const sender = (async () => {
    const inflight = new Set<Promise<void>>();
    while (!killed) {
      const s = ++seq;
      const p = client
        .publishAsync('devices/pump-9/telemetry', JSON.stringify({ seq: s, ts: T0 + s, pressure: s % 100 }), { qos: 1 })
        .then(
          () => void acked.add(s),
          () => undefined,
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 50) await Promise.race(inflight);
    }
  })();
  while (acked.size < 2000) await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  killed = true;
  client.end(true);
  await sender.catch(() => undefined);
  assert.ok(seq > acked.size, 'some messages were in flight when it died');

  const second = await startProcess(d.dir);
  t.after(() => second.child.kill('SIGTERM'));
  // Anything spooled before the kill is replayed first; the readings are queryable once it is empty.
  const health = await until(
    async () => {
      const h = (await (await fetch(`${second.http}/health`)).json()) as { components: { spool: { batches: number } } };
      return h.components.spool.batches === 0 ? h : undefined;
    },
    { timeoutMs: 30_000, what: 'spool drained' },
  );
  const r = (await (await fetch(`${second.http}/api/v1/devices/pump-9/telemetry?from=${T0}&to=${T0 + seq + 1}&limit=1000000`)).json()) as {
    series: { pressure: { ts: number[] } };
  };
  const ts = r.series.pressure.ts;
  assert.equal(new Set(ts).size, ts.length, 'nothing stored twice');
  const stored = new Set(ts.map((x) => x - T0));
  const lost = [...acked].filter((s) => !stored.has(s));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged readings lost; stored ${stored.size}; health ${JSON.stringify(health.components)}`);
  assert.ok(stored.size >= acked.size);
});
