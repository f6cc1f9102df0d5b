/**
 * Issue 15, end to end: heavy reads of a large stored set run while a device publishes QoS1. Its
 * PUBACKs keep arriving (none waits anywhere near the generous bound below; when reads ran on the
 * thread that acknowledges devices, four of them stalled every PUBACK for seconds) and every
 * acknowledged reading is stored.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestApp, until } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import type { RunningApp } from '../../src/app.js';
import type { Reading } from '../../src/model/reading.js';

const T0 = Date.now() - 6 * 3600_000;
/** Far above the gap between PUBACKs on an idle machine (a few ms), below the multi-second stalls of reads on the ingest thread. */
const PUBACK_BOUND_MS = 2000;

/** One long series (600,000 readings 10 ms apart: sorting it for percentiles is the heavy part) and 20 devices x 4 metrics beside it. */
async function seed(app: RunningApp): Promise<void> {
  for (let c = 0; c < 6; c++) {
    const big: Reading[] = [];
    for (let i = c * 100_000; i < (c + 1) * 100_000; i++) big.push({ device: 'big', metric: 'v', ts: T0 + i * 10, value: Math.sin(i / 100) });
    await app.store.telemetry.write({ readings: big, devices: [{ id: 'big', seen: T0 }], rejected: [] });
  }
  for (let d = 0; d < 20; d++) {
    const rs: Reading[] = [];
    for (let i = 0; i < 2000; i++) for (const m of ['rms', 'x', 'y', 'z']) rs.push({ device: `g${d}-sensor1`, metric: m, ts: T0 + i * 1000, value: i });
    await app.store.telemetry.write({ readings: rs, devices: [{ id: `g${d}-sensor1`, seen: T0 }], rejected: [] });
  }
}

describe('reads never stall ingest', () => {
  let app: RunningApp;

  before(async () => {
    // Limits generous enough that every heavy read below runs at once, and to its end however loaded the machine.
    app = await startTestApp({ readConcurrency: 32, readConcurrencyPerCaller: 32, readRowsPerSec: 0, readTimeoutMs: 600_000 });
    await seed(app);
  });
  after(async () => {
    await app?.stop();
  });

  it('keeps acknowledging a QoS1 device while heavy reads run, and stores every acknowledged reading', async () => {
    const dev = await mqtt.connectAsync(app.mqttUrl, { clientId: 'steady-1' });
    // The device runs in this process, beside the server: a stalled server thread stalls it too, so the
    // figure is the longest gap between PUBACKs arriving (what a device sees), not the wait of one publish.
    const arrivals: number[] = [];
    let acked = 0;
    let publishing = true;
    const publisher = (async () => {
      for (let seq = 0; publishing || seq < 20; seq++) {
        await dev.publishAsync('devices/steady-1/telemetry', JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: seq }), { qos: 1 });
        arrivals.push(performance.now());
        acked++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const get = async (path: string) => {
      const res = await fetch(app.httpUrl + path);
      await res.arrayBuffer();
      return res.status;
    };
    const heavy = [
      ...Array.from({ length: 4 }, () => `/api/v1/devices/big/stats?metric=v&from=${T0}&to=${T0 + 10_000_000}`),
      `/api/v1/telemetry/range?devices=g*&metric=rms,x,y,z&from=${T0}&to=${T0 + 140_000}&n=140&order=asc`,
      `/api/v1/export?devices=big&from=${T0}&to=${T0 + 500_000}`,
      `/api/v1/devices/big/telemetry?metric=v&from=${T0}&to=${T0 + 10_000_000}&limit=50000`,
    ];
    const t0 = performance.now();
    const statuses = await Promise.all(heavy.map(get));
    const t1 = performance.now();
    const readMs = t1 - t0;
    const health = await fetch(`${app.httpUrl}/health`);
    publishing = false;
    await publisher;
    await dev.endAsync();
    const during = [t0, ...arrivals.filter((t) => t > t0 && t < t1), t1];
    let worst = 0;
    for (let i = 1; i < during.length; i++) worst = Math.max(worst, during[i] - during[i - 1]);
    assert.ok(
      worst < PUBACK_BOUND_MS,
      `no PUBACK arrived for ${worst.toFixed(0)} ms (the reads took ${readMs.toFixed(0)} ms, ${during.length - 2} PUBACKs meanwhile)`,
    );
    process.stderr.write(`  ${during.length - 2} PUBACKs while the reads ran (${readMs.toFixed(0)} ms), the longest gap ${worst.toFixed(1)} ms\n`);
    assert.deepEqual(
      statuses,
      heavy.map(() => 200),
    );
    assert.equal(health.status, 200);
    const res = await fetch(`${app.httpUrl}/api/v1/devices/steady-1/telemetry?metric=temperature&from=${T0}&to=${T0 + acked * 1000}&limit=100000`);
    const body = (await res.json()) as { series: { temperature: { ts: number[] } } };
    assert.equal(body.series.temperature.ts.length, acked, 'every acknowledged reading is stored');
  });
});

const { skip: noPostgres } = requirePostgres('reads never stall ingest on PostgreSQL');
/** Generous: publishers finish in a few seconds on an idle machine; parsing eight readers' answers on the acknowledging thread kept CONNECTs unanswered past 30 s. */
const INGEST_BOUND_MS = 90_000;
const PUBLISHERS = 6;
const PER_PUBLISHER = 200;
const READERS = 8;

/** A response body as text, or its status when not 200. */
async function body(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  return res.status === 200 ? text : `status ${res.status}: ${text.slice(0, 200)}`;
}

describe('reads never stall ingest on PostgreSQL', { skip: noPostgres }, () => {
  let pg: TestPostgres;
  let app: RunningApp;

  before(async () => {
    pg = await startPostgres();
    app = await startTestApp({
      store: await pg.createDatabase(),
      readConcurrency: 64,
      readConcurrencyPerCaller: 64,
      readRowsPerSec: 0,
      readTimeoutMs: 600_000,
    });
    await seed(app);
  });
  after(async () => {
    await app?.stop();
    await pg?.destroy();
  });

  it('answers every CONNECT and acknowledges and stores every QoS1 publish while eight heavy readers loop, and the readers get the right answers', async () => {
    const heavy = [
      `/api/v1/devices/big/telemetry?metric=v&from=${T0}&to=${T0 + 10_000_000}&limit=100000`,
      `/api/v1/export?devices=big&from=${T0}&to=${T0 + 3_000_000}`,
      `/api/v1/telemetry/range?devices=g*&metric=rms,x,y,z&from=${T0}&to=${T0 + 2_000_000}&n=2000&order=asc`,
      `/api/v1/export?devices=g*&from=${T0}&to=${T0 + 2_000_000}&format=ndjson`,
    ];
    // The answers of each read alone, on an idle server: what every reader must get under load too.
    const expected = new Map<string, string>();
    for (const path of heavy) expected.set(path, await body(app.httpUrl + path));
    assert.equal(expected.get(heavy[1])!.trim().split('\n').length, 300_000 + 1, 'the export holds every stored reading of its range and a header');

    let reading = true;
    const wrong: string[] = [];
    let reads = 0;
    const readers = Array.from({ length: READERS }, async (_, r) => {
      for (let k = r; reading; k++) {
        const path = heavy[k % heavy.length];
        const got = await body(app.httpUrl + path);
        reads++;
        if (got !== expected.get(path)) wrong.push(`${path}: ${got.length} bytes, expected ${expected.get(path)!.length} (${got.slice(0, 120)})`);
      }
    });
    // Publishers connect only once the readers are busy: their CONNECTs meet a loaded server.
    await until(() => reads >= 1, { what: 'a first read under load', timeoutMs: INGEST_BOUND_MS });

    const acked = new Array<number>(PUBLISHERS).fill(0);
    const clients: mqtt.MqttClient[] = [];
    const ingest = Promise.all(
      Array.from({ length: PUBLISHERS }, async (_, p) => {
        const dev = await mqtt.connectAsync(app.mqttUrl, { clientId: `pub-${p}`, connectTimeout: INGEST_BOUND_MS, reconnectPeriod: 0 });
        clients.push(dev);
        for (let seq = 0; seq < PER_PUBLISHER; seq++) {
          await dev.publishAsync(`devices/pub-${p}/telemetry`, JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: seq }), { qos: 1 });
          acked[p]++;
        }
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((r) => (timer = setTimeout(() => r('bound'), INGEST_BOUND_MS)));
    const outcome = await Promise.race([ingest.then(() => 'done' as const), bound]);
    clearTimeout(timer);
    reading = false;
    await Promise.all(readers);
    await Promise.all(clients.map((c) => c.endAsync(true)));
    assert.equal(
      outcome,
      'done',
      `within ${INGEST_BOUND_MS} ms of eight readers looping: ${clients.length} of ${PUBLISHERS} publishers connected, ${acked.reduce((a, b) => a + b, 0)} of ${PUBLISHERS * PER_PUBLISHER} publishes acknowledged`,
    );
    process.stderr.write(`  ${reads} heavy reads ran while ${PUBLISHERS * PER_PUBLISHER} QoS1 publishes were acknowledged\n`);
    assert.deepEqual(wrong, [], 'every reader got the same answer as the read alone');
    assert.ok(reads >= READERS, 'the readers ran while the publishers published');
    for (let p = 0; p < PUBLISHERS; p++) {
      const res = await fetch(`${app.httpUrl}/api/v1/devices/pub-${p}/telemetry?metric=temperature&from=${T0}&to=${T0 + PER_PUBLISHER * 1000}&limit=100000`);
      const stored = (await res.json()) as { series: { temperature: { ts: number[] } } };
      assert.equal(stored.series.temperature.ts.length, PER_PUBLISHER, `every acknowledged reading of pub-${p} is stored`);
    }
  });
});
