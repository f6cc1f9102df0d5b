import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { Batcher } from '../../src/pipeline/batcher.js';
import { Pipeline, type RawInput } from '../../src/pipeline/ingest.js';
import { SequenceTracker, completeness } from '../../src/pipeline/sequence.js';
import { createMetrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { tempDir } from '../helpers/app.js';
import { CommitWriter } from '../../src/pipeline/commit.js';

// Every acknowledged reading is stored: stored = acknowledged - true duplicates, whatever the mix of
// bursts, backlogs and arrays, with and without ts and seq, all arriving in the same millisecond.

/** How a simulated device stamps its messages. */
type Clock = 'none' | 'ms' | 'seconds';

interface DeviceSpec {
  hasSeq: boolean;
  clock: Clock;
  metrics: string[];
  count: number;
}

interface Sent {
  device: string;
  payload: Record<string, number>;
}

const deviceSpec: fc.Arbitrary<DeviceSpec> = fc
  .record({
    hasSeq: fc.boolean(),
    clock: fc.constantFrom<Clock>('none', 'ms', 'seconds'),
    metrics: fc.subarray(['v', 'a', 'w', 'temperature'], { minLength: 1 }),
    count: fc.integer({ min: 1, max: 25 }),
  })
  // A clock in whole seconds without seq cannot tell two readings from one resent: not a case a device can expect to work.
  .map((d) => (d.clock === 'seconds' && !d.hasSeq ? { ...d, clock: 'ms' as const } : d));

/** What a device sends, in the order it first sends it. */
function messagesOf(device: string, spec: DeviceSpec, base: number): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; i < spec.count; i++) {
    const payload: Record<string, number> = {};
    spec.metrics.forEach((m, k) => (payload[m] = i * 10 + k));
    if (spec.hasSeq) payload.seq = 1000 + i;
    if (spec.clock === 'ms') payload.ts = base + i;
    if (spec.clock === 'seconds') payload.ts = Math.floor((base + i * 400) / 1000);
    out.push({ device, payload });
  }
  return out;
}

/** Readings that are new, per the definition of a reading's identity: same device and seq (or same ts without seq) is the same reading. */
function expectedReadings(sent: Sent[], specs: Map<string, DeviceSpec>): number {
  const seen = new Set<string>();
  let n = 0;
  for (const s of sent) {
    const spec = specs.get(s.device)!;
    const metrics = Object.keys(s.payload).filter((k) => k !== 'seq' && k !== 'ts').length;
    if (spec.hasSeq || spec.clock !== 'none') {
      const key = s.device + '|' + (spec.hasSeq ? 'seq' + s.payload.seq : 'ts' + s.payload.ts);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    n += metrics;
  }
  return n;
}

const tmp = tempDir();
after(() => tmp.remove());

test('property: stored = acknowledged - true duplicates, and completeness agrees with the store', async () => {
  const path = join(tmp.dir, 'prop.db');
  const store = new SqliteStore({ path });
  await store.open();
  const metrics = createMetrics();
  const sequence = new SequenceTracker();
  const batcher = new Batcher(new CommitWriter(store.telemetry), { maxReadings: 500, sequence, checkpoints: store.catalog }, metrics);
  const pipeline = new Pipeline({ batcher, metrics: metrics, logger: silentLogger(), maxPayloadBytes: 65536 });
  const db = new Database(path, { readonly: true });
  const countFor = db.prepare("SELECT count(*) AS n FROM readings r JOIN series s ON s.id = r.series WHERE s.device LIKE ? || '-%'").pluck();
  let run = 0;
  const now = Date.now();

  const scenario = fc.record({
    devices: fc.array(deviceSpec, { minLength: 1, maxLength: 3 }),
    // Indexes of messages sent again (a QoS1 redelivery, a device replaying its buffer).
    resends: fc.array(fc.nat(), { maxLength: 20 }),
    // How the stream is cut into deliveries: a single message (MQTT) or an array (HTTP), and which are held back as a backlog.
    cuts: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 40 }),
    backlog: fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
    seed: fc.integer(),
  });

  try {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ devices, resends, cuts, backlog, seed }) => {
        const prefix = `r${run++}`;
        const specs = new Map<string, DeviceSpec>();
        let stream: Sent[] = [];
        devices.forEach((spec, i) => {
          const id = `${prefix}-d${i}`;
          specs.set(id, spec);
          stream.push(...messagesOf(id, spec, now - 3_600_000 + i * 50_000));
        });
        // Interleave devices deterministically from the seed, keeping each device's own order.
        stream = interleave(stream, seed);
        for (const r of resends) if (stream.length) stream.push({ ...stream[r % stream.length] });

        // Deliveries: consecutive cuts; those marked backlog arrive after all the others.
        const deliveries: Sent[][] = [];
        const held: Sent[][] = [];
        for (let i = 0, k = 0; i < stream.length; k++) {
          const n = cuts[k % cuts.length];
          (backlog[k % backlog.length] ? held : deliveries).push(stream.slice(i, i + n));
          i += n;
        }
        const sentInOrder = [...deliveries, ...held].flat();

        // Everything arrives in one millisecond, as a burst does.
        const receivedAt = now;
        const toInput = (s: Sent): RawInput => ({ source: 'http', device: s.device, payload: s.payload, receivedAt });
        const results = await Promise.all([...deliveries, ...held].map((d) => pipeline.accept(d.map(toInput))));
        const acknowledged = results.flat().filter((o) => o.ok).length;
        assert.equal(acknowledged, sentInOrder.length, 'every message acknowledged');

        const stored = countFor.get(prefix) as number;
        assert.equal(stored, expectedReadings(sentInOrder, specs), 'stored = acknowledged - true duplicates');

        for (const [device, spec] of specs) {
          if (!spec.hasSeq) continue;
          const stats = await store.catalog.sequenceStats(device, 0, now + 86_400_000);
          const c = completeness(device, 0, now + 86_400_000, stats, sequence.state(device));
          assert.equal(c.received, spec.count, `${device}: completeness counts each seq once`);
          assert.equal(c.missing, 0, `${device}: nothing missing once the backlog is in`);
          const rows = db.prepare('SELECT count(DISTINCT r.seq) FROM readings r JOIN series s ON s.id = r.series WHERE s.device = ?').pluck().get(device);
          assert.equal(rows, c.received, `${device}: the store holds every seq completeness counts`);
        }
      }),
      { numRuns: 150 },
    );
  } finally {
    db.close();
    await batcher.drain();
    await store.close();
  }
});

/** A deterministic shuffle of devices that keeps each device's messages in order. */
function interleave(stream: Sent[], seed: number): Sent[] {
  const queues = new Map<string, Sent[]>();
  for (const s of stream) (queues.get(s.device) ?? queues.set(s.device, []).get(s.device)!).push(s);
  const out: Sent[] = [];
  let x = seed >>> 0 || 1;
  const ids = [...queues.keys()];
  while (out.length < stream.length) {
    x = (x * 1103515245 + 12345) >>> 0;
    const q = queues.get(ids[x % ids.length])!;
    if (q.length) out.push(q.shift()!);
  }
  return out;
}
