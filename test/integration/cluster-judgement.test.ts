// Issue 19: no lost judgement after kill -9, on a real PostgreSQL. Two nodes' commit paths and alarm
// engines share one database; one partition passes from an owner that committed readings but died
// before its rules judged them, to a new owner that must judge exactly those (rule watermark and
// replay on takeover), once, and a stale owner's late judgement is refused by the partition fence.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionFence } from '../../src/stores/store.js';
import { AlarmEngine, type DeviceDirectory } from '../../src/alarms/engine.js';
import { Analytics } from '../../src/analytics/live-stats.js';
import { deviceRebuilder } from '../../src/cluster/rebuild-devices.js';
import { JudgementGate } from '../../src/cluster/judgement-gate.js';
import { silentLogger } from '../../src/logger.js';
import type { Message } from '../../src/model/reading.js';
import { requirePostgres } from '../helpers/postgres.js';
import { T0, commitNode, seqMessages, sharedDatabase } from '../helpers/fenced-commit.js';

const pgSvc = requirePostgres('cluster judgement');
const P = 2;
const DEVICE = 'rack-1';

const msgs = (from: number, to: number): Message[] => seqMessages(DEVICE, from, to);

/** One node as app.ts wires it in cluster mode: commit path, alarm engine after the commit, the rebuild on takeover. */
async function node(t: TestContext, url: string) {
  const { store, sequence, writer, batcher, claim } = await commitNode(t, url);
  const known = new Map<string, { profile: string | null; lastSeen: number }>();
  const devices: DeviceDirectory = { get: (id) => known.get(id), list: () => [...known].map(([id, d]) => ({ id, ...d })) };
  const analytics = new Analytics({ vectors: {}, zWindowMs: 60_000 });
  /** The lease this node holds on P, as ClusterNode.fenceOf answers it. */
  let token: number | null = null;
  const engine = new AlarmEngine({
    store: store.alarms,
    analytics,
    devices,
    logger: silentLogger(),
    silenceSweep: 'external',
    watermarks: { fenceOf: () => (token === null ? null : { partition: P, token }), retryMs: 10 },
  });
  await engine.start();
  /** late: commits whose callback has not run yet (stored, not yet announced to the rules). */
  const state = { judging: true, late: null as Message[][] | null };
  const gate = new JudgementGate();
  writer.onCommitted((c) => {
    for (const m of c.messages) known.set(m.device, { profile: null, lastSeen: m.receivedAt });
    if (state.late && !c.historical) return void state.late.push(c.messages);
    // judging false: the process is gone after this commit, before its alarm engine got to it.
    if (state.judging && !c.historical) engine.observe(gate.pass(c.messages));
  });
  const rebuild = deviceRebuilder({
    telemetry: store.telemetry,
    alarmStore: store.alarms,
    analytics,
    alarms: engine,
    sequence: { catalog: store.catalog, tracker: sequence },
    profileOf: () => null,
    windowMs: 60_000,
  });
  return {
    store,
    sequence,
    batcher,
    engine,
    analytics,
    state,
    gate,
    /** The commits announced late, now (in order), as the commit path would have. */
    announceLate(): void {
      for (const ms of state.late ?? []) engine.observe(gate.pass(ms));
      state.late = null;
    },
    /** What ClusterNode and app.ts do now: the fence and the sequence state; the devices held in the gate and rebuilt beside the consumer. */
    async acquireGated(fence: PartitionFence, ids: string[]): Promise<{ rebuilt: Promise<void> } | null> {
      if (!(await claim(fence, ids))) return null;
      token = fence.token;
      gate.hold(ids);
      // Wrapped: an async function would wait for the rebuild it returned.
      return { rebuilt: rebuild(ids, gate) };
    },
    /** What ClusterNode does on acquiring a partition: the fence, the sequence state, then the devices rebuilt (and the unjudged judged). */
    async acquire(fence: PartitionFence, ids: string[]): Promise<boolean> {
      if (!(await claim(fence, ids))) return false;
      token = fence.token;
      await rebuild(ids);
      return true;
    },
  };
}

test(
  'kill -9 between commit and judgement: the next owner judges exactly the committed readings its rules had not, and a stale owner judges none',
  { skip: pgSvc.skip, timeout: 120_000 },
  async (t) => {
    const { url, sql } = await sharedDatabase(t);
    const a = await node(t, url); // migrates
    const old: PartitionFence = { partition: P, token: 5 };
    assert.equal(await a.acquire(old, [DEVICE]), true);
    const rule = await a.engine.createRule({ name: 'on', severity: 'minor', scope: 'all', kind: 'threshold', metric: 'v', op: '>', value: 0 });
    const b = await node(t, url); // knows the rule from the store
    const alarms = () =>
      sql<{ n: number; count: number; open: number }[]>`
        SELECT count(*)::int AS n, coalesce(sum(count), 0)::int AS count, count(*) FILTER (WHERE cleared_at IS NULL)::int AS open
        FROM alarms WHERE rule_id = ${rule.id} AND device = ${DEVICE}`.then((r) => r[0]);

    // A commits and judges seq 1..10.
    await a.batcher.add(msgs(1, 10), [], old);
    await a.engine.idle();
    assert.deepEqual(await alarms(), { n: 1, count: 10, open: 1 });

    // A commits 11..20 and is killed before its rules judge them (its acknowledgements never reach NATS).
    a.state.judging = false;
    await a.batcher.add(msgs(11, 20), [], old);
    assert.deepEqual(await alarms(), { n: 1, count: 10, open: 1 }, 'committed, not judged');

    // B takes the partition over: it judges 11..20 from the store before its first message.
    assert.equal(await b.acquire({ partition: P, token: 9 }, [DEVICE]), true);
    assert.deepEqual(await alarms(), { n: 1, count: 20, open: 1 }, 'what A left unjudged, judged once by B');
    assert.equal(b.analytics.get(DEVICE)?.seq, 20, "B's analytics windows run through the last committed message");

    // NATS redelivers 11..20 (never acknowledged) with 21..30: duplicates are neither stored nor judged again.
    await b.batcher.add(msgs(11, 30), [], { partition: P, token: 9 });
    await b.engine.idle();
    assert.deepEqual(await alarms(), { n: 1, count: 30, open: 1 });

    // A was not dead after all (paused): its late judgement of 11..20 is refused by the fence, nothing counted twice.
    a.engine.observe(msgs(11, 20));
    await a.engine.idle();
    assert.deepEqual(await alarms(), { n: 1, count: 30, open: 1 }, "the stale owner's judgement refused");

    const [mark] = await sql<{ ts: number; seq: number }[]>`SELECT ts::float8 AS ts, seq::int AS seq FROM rule_watermark WHERE device = ${DEVICE}`;
    assert.deepEqual(mark, { ts: T0 + 30_000, seq: 30 });
  },
);

test(
  'takeover beside the consumer: what the new owner commits while it rebuilds is judged after the replay, each message once, in order, even when a commit is announced only after the rebuild read it',
  { skip: pgSvc.skip, timeout: 120_000 },
  async (t) => {
    const { url, sql } = await sharedDatabase(t);
    const a = await node(t, url);
    const old: PartitionFence = { partition: P, token: 5 };
    assert.equal(await a.acquire(old, [DEVICE]), true);
    const rule = await a.engine.createRule({ name: 'on', severity: 'minor', scope: 'all', kind: 'threshold', metric: 'v', op: '>', value: 0 });
    const b = await node(t, url);
    const alarms = () =>
      sql<{ n: number; count: number }[]>`
        SELECT count(*)::int AS n, coalesce(sum(count), 0)::int AS count FROM alarms WHERE rule_id = ${rule.id} AND device = ${DEVICE}`.then((r) => r[0]);

    // A commits and judges 1..10, commits 11..20 and dies before judging them.
    await a.batcher.add(msgs(1, 10), [], old);
    await a.engine.idle();
    a.state.judging = false;
    await a.batcher.add(msgs(11, 20), [], old);

    // B takes over: its consumer commits right away (11..20 redelivered, duplicates; 21..25 new),
    // and 26..30 are stored before the rebuild reads but announced only after it replayed.
    const fence = { partition: P, token: 9 };
    const acquired = await b.acquireGated(fence, [DEVICE]);
    assert.ok(acquired);
    assert.equal(b.gate.holding(DEVICE), true);
    await b.batcher.add(msgs(11, 25), [], fence);
    b.state.late = [];
    await b.batcher.add(msgs(26, 30), [], fence);
    await acquired.rebuilt;
    b.announceLate();
    await b.batcher.add(msgs(31, 35), [], fence);
    await b.engine.idle();
    assert.equal(b.gate.holding(DEVICE), false);

    assert.deepEqual(await alarms(), { n: 1, count: 35 }, 'every committed message judged once: 11..20 by the replay, 21..35 live');
    assert.equal(b.analytics.get(DEVICE)?.seq, 35);
    assert.equal(b.analytics.get(DEVICE)?.metrics.v?.count1m, 35, 'each message in the analytics window once');
    const [mark] = await sql<{ ts: number; seq: number }[]>`SELECT ts::float8 AS ts, seq::int AS seq FROM rule_watermark WHERE device = ${DEVICE}`;
    assert.deepEqual(mark, { ts: T0 + 35_000, seq: 35 });
  },
);
