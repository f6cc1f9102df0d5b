import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import postgres from 'postgres';
import WebSocket from 'ws';
import { tempDir, until } from '../helpers/app.js';
import { requireNats, startNatsCluster } from '../helpers/nats.js';
import { clusterHealth, settled as settledOn, startClusterNode, type NodeProcess as Node } from '../helpers/cluster-node.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { partitionOf } from '../../src/cluster/partitions.js';

// Issue 19: three Fieldscope nodes on a 3-server NATS cluster and one PostgreSQL; one node dies
// (kill -9) mid-stream and a new one joins. Bounded by message count, never by a timing.
const nats = requireNats('cluster end to end');
const pgSvc = requirePostgres('cluster end to end');

const PARTITIONS = 8;
const DEVICES = 50;
/** Messages per device. */
const N = 60;
const T0 = Date.UTC(2026, 0, 1);

const settled = (nodes: Node[], what: string) => settledOn(nodes, PARTITIONS, what);

test(
  'cluster: 3 nodes, 50 devices, kill -9 one node mid-stream and add one: every acknowledged reading stored once, completeness exact on every node, live feed complete on node 2',
  { skip: nats.skip || pgSvc.skip, timeout: 600_000 },
  async (t) => {
    const t0 = Date.now();
    const step = (what: string) => process.stderr.write(`[cluster-e2e] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);
    const d = tempDir('fieldscope-cluster-');
    t.after(() => d.remove());
    const natsCluster = await startNatsCluster({ partitions: PARTITIONS });
    t.after(() => natsCluster.destroy());
    const pg = await startPostgres();
    t.after(() => pg.destroy());
    const store = await pg.createDatabase();
    const started: Node[] = [];
    t.after(() => {
      for (const n of started) n.child.kill('SIGKILL');
    });
    const start = async (name: string, server: number) => {
      const n = await startClusterNode(name, {
        cluster: natsCluster.servers[server].url,
        store,
        dataDir: join(d.dir, name),
        partitions: PARTITIONS,
        leaseMs: 2000,
        // The readings are dated 2026-01-01: the retention pass (60 s after a node takes the run-once lease) must not remove them.
        extra: ['--retention-raw-hours', String(24 * 365 * 50)],
      });
      started.push(n);
      return n;
    };
    // One node first, so the database is migrated once, then two more.
    const node1 = await start('node-1', 0);
    step('const node1 = await start(node-1, 0);');
    const [node2, node3] = await Promise.all([start('node-2', 1), start('node-3', 2)]);
    const before = await settled([node1, node2, node3], 'partitions spread over 3 nodes');
    step('const before = await until(() => balanced([node1, ');
    const ownedBy1 = [...before].filter(([, n]) => n === 'node-1').map(([p]) => p);

    // Two rules, created on two different nodes, that every message of every device meets: each must
    // end as one alarm per device cluster-wide, counting every message once (N), wherever it was consumed.
    const rules: { id: string }[] = [];
    for (const [n, body] of [
      [node1, { name: 'vibrating', severity: 'minor', scope: 'all', kind: 'threshold', metric: 'vib', op: '>', value: 0 }],
      [node3, { name: 'warm', severity: 'major', scope: 'all', kind: 'threshold', metric: 'temp', op: '>', value: 19 }],
    ] as const) {
      const r = await fetch(`${n.http}/api/v1/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 201, await r.clone().text());
      rules.push((await r.json()) as { id: string });
    }
    const ruleIds = async (n: Node) => ((await (await fetch(`${n.http}/api/v1/rules`)).json()) as { rules: { id: string }[] }).rules.map((r) => r.id);
    await until(async () => (await Promise.all([node1, node2, node3].map(ruleIds))).every((ids) => rules.every((r) => ids.includes(r.id))), {
      what: 'both rules on every node',
      timeoutMs: 30_000,
    });

    // The live feed on node 2, for every device.
    const ws = new WebSocket(node2.http.replace('http', 'ws') + '/api/v1/live');
    t.after(() => ws.close());
    const live = new Map<string, Set<number>>();
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { type: string; device: string; seq: number | null };
      if (m.type !== 'readings' || m.seq === null) return;
      let s = live.get(m.device);
      if (!s) live.set(m.device, (s = new Set()));
      s.add(m.seq);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));

    // 40 devices publish MQTT QoS1 to the NATS servers' MQTT listeners; 10 send HTTP to any live node.
    const devices = Array.from({ length: DEVICES }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
    const mqttDevices = devices.slice(0, 40);
    const httpDevices = devices.slice(40);
    // nats-server 2.9 answers the first MQTT CONNECT of a server only once its MQTT session streams
    // exist, and many at once can go unanswered: one client per server first, each try bounded.
    const connectDevice = async (id: string, i: number): Promise<mqtt.MqttClient> => {
      for (let attempt = 1; ; attempt++) {
        const c = mqtt.connect(natsCluster.servers[i % 3].mqttUrl, { clientId: `c-${id}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 });
        const ok = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 15_000);
          c.once('connect', () => (clearTimeout(timer), resolve(true)));
          c.once('error', () => (clearTimeout(timer), resolve(false)));
        });
        if (ok) return c;
        c.end(true);
        if (attempt >= 5) throw new Error(`${id}: no CONNACK from NATS server ${i % 3} after ${attempt} tries`);
      }
    };
    const firsts = await Promise.all(mqttDevices.slice(0, 3).map((id, i) => connectDevice(id, i)));
    const clients = [...firsts, ...(await Promise.all(mqttDevices.slice(3).map((id, i) => connectDevice(id, i + 3))))];
    step('MQTT devices connected');
    t.after(() => Promise.all(clients.map((c) => c.endAsync())));
    const acked = new Map<string, Set<number>>(devices.map((id) => [id, new Set<number>()]));
    let alive: Node[] = [node1, node2, node3];
    const payload = (seq: number) => JSON.stringify({ seq, ts: T0 + seq * 1000, temp: 20 + (seq % 7), vib: seq / 100 });
    const pending = new Set<string>();
    const tracked = <T>(what: string, p: Promise<T>) => {
      pending.add(what);
      return p.finally(() => pending.delete(what));
    };
    // A round that never completes fails the test with what it waits for, instead of running into the suite's timeout.
    const bounded = async (p: Promise<unknown>) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        p,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer for ${[...pending].join(', ')}; logs: ${started.map((n) => n.name + ': ' + n.log().slice(-1500)).join('\n')}`)),
            60_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    };
    const sendRound = async (seq: number) => {
      await bounded(
        Promise.all([
          ...clients.map((c, i) =>
            tracked(`mqtt ${mqttDevices[i]}/${seq}`, c.publishAsync(`devices/${mqttDevices[i]}/telemetry`, payload(seq), { qos: 1 })).then(() =>
              acked.get(mqttDevices[i])!.add(seq),
            ),
          ),
          ...httpDevices.map(async (id, i) => {
            // A sender retries on another node when the one it asked is gone (as a load balancer would).
            for (let attempt = 0; ; attempt++) {
              const n = alive[(i + attempt) % alive.length];
              try {
                const r = await tracked(
                  `http ${id}/${seq} ${n.name}`,
                  fetch(`${n.http}/api/v1/devices/${id}/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload(seq) }),
                );
                if (r.ok) return void acked.get(id)!.add(seq);
              } catch {
                // refused: that node died
              }
              if (attempt > 20) throw new Error(`${id} seq ${seq}: no node took it`);
            }
          }),
        ]),
      );
    };

    let seq = 0;
    while (seq < N / 3) await sendRound(++seq);
    // kill -9 mid-stream: the round in flight is not awaited first.
    const inflight = sendRound(++seq);
    node1.child.kill('SIGKILL');
    step('node1.child.kill(SIGKILL);');
    alive = [node2, node3];
    await inflight;
    while (seq < (2 * N) / 3) await sendRound(++seq);
    const takenOver = await settled([node2, node3], "node-1's partitions taken over");
    step('const takenOver = await until(() => balanced([node');
    const seqAtTakeover = seq;
    const node4 = await start('node-4', 1);
    step('const node4 = await start(node-4, 1);');
    alive = [node2, node3, node4];
    while (seq < N) await sendRound(++seq);
    await settled([node2, node3, node4], 'partitions spread over 3 nodes again');
    step('await until(() => balanced([node2, node3, node4]),');
    assert.ok([...takenOver.values()].every((n) => n !== 'node-1'));

    // Drained: every partition stream (a work queue) is empty once everything is stored and acknowledged.
    const sql = postgres(store, { max: 1, onnotice: () => {} });
    t.after(() => sql.end({ timeout: 1 }));
    const stored = async () =>
      sql<{ device: string; seq: string; n: string }[]>`
        SELECT s.device, r.seq::text AS seq, count(*)::text AS n FROM readings r JOIN series s ON s.id = r.series GROUP BY s.device, r.seq`;
    await until(
      async () => {
        for (const n of [node2, node3, node4]) {
          const h = await clusterHealth(n);
          if (Object.values(h.lag).some((l) => l !== 0)) return false;
        }
        return (await stored()).length >= DEVICES * N;
      },
      { what: 'every partition drained', timeoutMs: 40_000 },
    ).catch(async (err: Error) => {
      const state = await Promise.all(
        [node2, node3, node4].map(async (n) => ({ n: n.name, h: await clusterHealth(n).catch(() => null), log: n.log().slice(-3000) })),
      );
      throw new Error(`${err.message}; stored ${(await stored()).length} of ${DEVICES * N}; ${JSON.stringify(state, null, 1)}`);
    });

    // Every acknowledged reading stored exactly once: one row per metric of each (device, seq).
    step('// Every acknowledged reading stored exactly once:');
    const rows = await stored();
    const byDevice = new Map<string, Map<number, number>>();
    for (const r of rows) {
      let m = byDevice.get(r.device);
      if (!m) byDevice.set(r.device, (m = new Map()));
      m.set(Number(r.seq), Number(r.n));
    }
    for (const id of devices) {
      const got = byDevice.get(id) ?? new Map<number, number>();
      for (const s of acked.get(id)!) assert.equal(got.get(s), 2, `${id} seq ${s}: both readings stored once`);
      assert.equal(acked.get(id)!.size, N, `${id}: every message acknowledged`);
    }

    // Node 2's WebSocket saw every device: all of each device's readings, except for the devices
    // node-1 consumed, whose last commits before the kill may not have been announced; those show
    // everything sent once their partition had moved.
    await until(
      () =>
        devices.every((id) => {
          const got = live.get(id);
          const fromSeq = ownedBy1.includes(partitionOf(id, PARTITIONS)) ? seqAtTakeover + 1 : 1;
          for (let s = fromSeq; s <= N; s++) if (!got?.has(s)) return false;
          return true;
        }),
      { what: "node 2's live feed has every device's readings", timeoutMs: 30_000 },
    );
    for (const id of devices) assert.ok(live.get(id)?.size, `${id} on node 2's live feed`);
    step('for (const id of devices) assert.ok(live.get(id)?.');

    // Completeness exactly right on every live node, for every device, whoever consumes it now.
    step('// Completeness exactly right on every live node, ');
    const wrong: string[] = [];
    for (const n of [node2, node3, node4]) {
      for (const id of devices) {
        const c = (await (await fetch(`${n.http}/api/v1/devices/${id}/completeness?from=${T0}&to=${T0 + (N + 1) * 1000}`)).json()) as {
          expected: number;
          received: number;
          missing: number;
        };
        if (c.expected !== N || c.received !== N || c.missing !== 0)
          wrong.push(`${n.name} ${id}: expected ${c.expected}, received ${c.received}, missing ${c.missing}`);
      }
    }
    // Commits are fenced by the partition lease (a stale owner's batch never lands), so a miscount fails the suite.
    assert.deepEqual(wrong, [], 'completeness on every node');

    // Each rule's alarm: one per device cluster-wide, counting each message once (N), node-1's devices
    // included: what node-1 committed but had not judged when it was killed is judged by the node
    // that took its partition over, from the device's rule watermark (docs/scale-out.md, "Rule
    // watermarks"). Rules are judged after the commit, so we wait for every count to reach N.
    const alarmRows = async () =>
      sql<{ device: string; rule_id: string; alarms: number; open: number; count: number }[]>`
        SELECT device, rule_id, count(*)::int AS alarms, count(*) FILTER (WHERE cleared_at IS NULL)::int AS open, sum(count)::int AS count
        FROM alarms WHERE rule_id IN ${sql(rules.map((r) => r.id))} GROUP BY device, rule_id`;
    const onKilled = (id: string) => ownedBy1.includes(partitionOf(id, PARTITIONS));
    const alarmKey = (device: string, rule: string) => `${device}/${rule}`;
    const alarms = await until(
      async () => {
        const got = new Map((await alarmRows()).map((r) => [alarmKey(r.device, r.rule_id), r]));
        return devices.every((id) => rules.every((r) => (got.get(alarmKey(id, r.id))?.count ?? 0) >= N)) && got;
      },
      { what: "every device's alarms counting every message", timeoutMs: 60_000 },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await alarmRows())}`);
    });
    for (const id of devices) {
      for (const r of rules) {
        const a = alarms.get(alarmKey(id, r.id))!;
        assert.equal(a.alarms, 1, `${id} rule ${r.id}: raised once cluster-wide`);
        assert.equal(a.open, 1, `${id} rule ${r.id}: still open`);
        assert.equal(a.count, N, `${id} rule ${r.id}: every message counted once${onKilled(id) ? " (node-1's device)" : ''}`);
      }
    }
    const replayed = (
      await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM rule_watermark WHERE device IN ${sql(devices.filter(onKilled))} AND seq = ${N}`
    )[0].n;
    step(
      `alarms: one per device and rule, every count exactly ${N}, node-1's ${devices.filter(onKilled).length} devices included (${replayed} watermarks at seq ${N})`,
    );
    // How much the takeover had to judge (0 when node-1 happened to have judged all it committed).
    const replays = [node2, node3, node4].flatMap((n) =>
      n
        .log()
        .split('\n')
        .filter((l) => l.includes('judged the committed messages the last owner had not'))
        .map((l) => `${n.name}: ${/"messages":(\d+)/.exec(l)?.[1] ?? '?'} msgs`),
    );
    step(`replayed on takeover: ${replays.join(', ') || 'nothing (node-1 had judged all it committed)'}`);

    // A rule created on node 2 acts on a device node 3 owns. Measured, not asserted to the
    // millisecond (load on this machine can break any wall-clock bound): the probe device sends a
    // message every 50 ms from the moment the rule is created. Two figures are logged: when the
    // first message the rule counted was sent (0 ms: the very first message after the creation was
    // already judged with the rule on node 3), and when its alarm was seen in the store (the change
    // feed plus the whole ingest path), the latter held to a generous 10 s. What is asserted
    // strictly is causal: only node 3 judges the probe's messages, so the alarm exists only if the
    // rule reached node 3.
    const now = await settled([node2, node3, node4], 'partitions spread over 3 nodes before the probe');
    const ownedBy3 = new Set([...now].filter(([, n]) => n === 'node-3').map(([p]) => p));
    const probe = Array.from({ length: 1000 }, (_, i) => `probe-${i}`).find((id) => ownedBy3.has(partitionOf(id, PARTITIONS)))!;
    const created = await fetch(`${node2.http}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'probe', severity: 'minor', scope: 'device', target: probe, kind: 'threshold', metric: 'temp', op: '>', value: 0 }),
    });
    const createdAt = Date.now();
    assert.equal(created.status, 201);
    const probeRule = ((await created.json()) as { id: string }).id;
    const sentAt = new Map<number, number>();
    const probeAlarm = async () =>
      (
        await sql<{ raised_at: number; count: number }[]>`SELECT raised_at::float8 AS raised_at, count::int AS count FROM alarms WHERE rule_id = ${probeRule}`
      )[0];
    let raised: { raised_at: number; count: number } | undefined;
    let seenAt = 0;
    for (let s = 1; !raised; s++) {
      assert.ok(s <= 400, `no alarm for ${probe} after ${s - 1} messages (20 s): the rule created on node 2 never acted on node 3`);
      const t1 = Date.now();
      const r = await fetch(`${node2.http}/api/v1/devices/${probe}/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seq: s, ts: T0 + s * 1000, temp: 21 }),
      });
      assert.equal(r.status, 200);
      sentAt.set(T0 + s * 1000, t1);
      await new Promise((res) => setTimeout(res, 50));
      raised = await probeAlarm();
      seenAt = Date.now();
    }
    const firstCounted = sentAt.get(Number(raised.raised_at));
    assert.ok(firstCounted !== undefined, `raised by one of the probe's messages (raised_at ${raised.raised_at})`);
    const firstMs = firstCounted - createdAt;
    const alarmMs = seenAt - createdAt;
    step(
      `a rule created on node 2 acted on ${probe} (node 3): the first message it counted was sent ${firstMs} ms after its creation; the alarm was in the store ${alarmMs} ms after it`,
    );
    assert.ok(alarmMs < 10_000, `rule created on node 2 raised on node 3's device ${alarmMs} ms later (generous bound 10 s; the issue's target is 1 s)`);
  },
);
