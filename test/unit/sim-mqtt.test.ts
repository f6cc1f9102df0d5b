import { randomBytes } from 'node:crypto';
// The simulator against a real in-process broker (Aedes), observed by a real MQTT client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/simulator.js';
import { KIND_NAMES, type KindName } from '../../src/sim/kinds.js';

interface Broker {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function startBroker(port = 0, opts: Parameters<typeof Aedes.createBroker>[0] = {}): Promise<Broker> {
  const broker = await Aedes.createBroker(opts);
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Seen {
  topic: string;
  text: string;
  retain: boolean;
  at: number;
}

class Observer {
  readonly seen: Seen[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.seen.push({ topic, text: payload.toString(), retain: packet.retain, at: Date.now() }));
  }
  static async start(url: string, topic = 'devices/#'): Promise<Observer> {
    const client = await connectAsync(url, { clientId: `observer-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200 });
    const o = new Observer(client);
    await client.subscribeAsync(topic, { qos: 1 });
    return o;
  }
  telemetry(id: string): Array<Record<string, unknown> & { seq: number; ts: number }> {
    return this.seen.filter((s) => s.topic === `devices/${id}/telemetry`).map((s) => JSON.parse(s.text));
  }
  seqs(id: string): number[] {
    return this.telemetry(id).map((m) => m.seq);
  }
  states(id: string): string[] {
    return this.seen.filter((s) => s.topic === `devices/${id}/state`).map((s) => s.text);
  }
  acks(id: string): Array<{ id: unknown; status: string; reason?: string }> {
    return this.seen.filter((s) => s.topic === `devices/${id}/commands/ack`).map((s) => JSON.parse(s.text));
  }
  async command(id: string, cmd: unknown): Promise<void> {
    await this.client.publishAsync(`devices/${id}/commands`, typeof cmd === 'string' ? cmd : JSON.stringify(cmd), { qos: 1 });
  }
  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const profiles = Object.fromEntries(
  KIND_NAMES.map((k) => [k, JSON.parse(readFileSync(new URL(`../../profiles/${k}.json`, import.meta.url), 'utf8'))]),
) as Record<KindName, { metrics: Record<string, { min?: number; max?: number }> }>;

let broker: Broker;
let obs: Observer;
before(async () => {
  broker = await startBroker();
  obs = await Observer.start(broker.url);
});
after(async () => {
  await obs.stop();
  await broker.close();
});

/** Starts a simulator that the test stops, even when it fails. */
async function sim(t: { after(fn: () => Promise<void>): void }, opts: Omit<SimulatorOptions, 'brokerUrl'>): Promise<Simulator> {
  const s = await startSimulator({ brokerUrl: broker.url, ...opts });
  t.after(() => s.stop());
  return s;
}

test('four devices, one of each kind: right metrics, in range, seq from 1, w = v * a', async (t) => {
  const s = await sim(t, { rateHz: 20, prefix: 'k-' });
  assert.deepEqual(
    s.devices.map((d) => [d.id, d.kind]),
    [
      ['k-ina219-01', 'ina219'],
      ['k-battery-01', 'battery'],
      ['k-factory-01', 'factory'],
      ['k-vibration-01', 'vibration'],
    ],
  );
  await waitFor('10 messages from each device', () => s.devices.every((d) => obs.telemetry(d.id).length >= 10));
  for (const d of s.devices) {
    assert.equal(obs.states(d.id)[0], 'online', `${d.id} announced itself`);
    const msgs = obs.telemetry(d.id);
    assert.deepEqual(
      msgs.map((m) => m.seq),
      msgs.map((_, i) => i + 1),
      `${d.id} seq 1, 2, 3, ...`,
    );
    const p = profiles[d.kind];
    for (const m of msgs) {
      assert.equal(m.profile, d.kind);
      assert.equal(m.status, 'ok');
      assert.ok(Math.abs(m.ts - Date.now()) < 10_000, 'ts is epoch ms, now');
      const metrics = Object.keys(m).filter((k) => !['profile', 'seq', 'ts', 'status'].includes(k));
      assert.deepEqual(metrics.sort(), Object.keys(p.metrics).sort());
      for (const [name, spec] of Object.entries(p.metrics)) {
        const x = m[name] as number;
        assert.equal(typeof x, 'number');
        if (spec.min !== undefined) assert.ok(x >= spec.min, `${d.id}.${name}=${x}`);
        if (spec.max !== undefined) assert.ok(x <= spec.max, `${d.id}.${name}=${x}`);
      }
      if (d.kind === 'ina219') {
        const { v, a, w } = m as unknown as { v: number; a: number; w: number };
        assert.ok(Math.abs(w - v * a) < 1e-3, `w ${w} vs v*a ${v * a}`);
      }
      if (d.kind === 'vibration') assert.ok([0, 1, 2, 3].includes(m.fault_type as number));
    }
  }
  const st = s.stats();
  assert.ok(st.published >= 40 && st.acked > 0, JSON.stringify(st));
  assert.equal(st.errors, 0);
});

test('set_interval changes the rate for real; bad and unknown commands fail with a reason', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['ina219'], devices: 1, prefix: 'cmd-' });
  const id = s.devices[0].id;
  await waitFor('first messages', () => obs.telemetry(id).length >= 3);
  const c0 = obs.telemetry(id).length;
  await sleep(1000);
  const fast = obs.telemetry(id).length - c0;
  assert.ok(fast >= 8, `~20 messages/s at 20 Hz, saw ${fast}`);

  await obs.command(id, { id: 'c1', name: 'set_interval', params: { ms: 500 } });
  await waitFor('ack c1', () => obs.acks(id).some((a) => a.id === 'c1'));
  assert.deepEqual(
    obs.acks(id).find((a) => a.id === 'c1'),
    { id: 'c1', status: 'acked' },
  );
  assert.equal(s.devices[0].intervalMs, 500);
  const c1 = obs.telemetry(id).length;
  await sleep(1500);
  const slow = obs.telemetry(id).length - c1;
  assert.ok(slow <= 6, `~2 messages/s at 500 ms, saw ${slow}`);

  await obs.command(id, { id: 'c2', name: 'set_interval', params: { ms: 'fast' } });
  await obs.command(id, { id: 'c3', name: 'self_destruct' });
  await obs.command(id, '{not json');
  await waitFor('three more acks', () => obs.acks(id).length >= 4);
  const acks = obs.acks(id);
  const c2 = acks.find((a) => a.id === 'c2')!;
  assert.equal(c2.status, 'failed');
  assert.match(c2.reason!, /params\.ms/);
  const c3 = acks.find((a) => a.id === 'c3')!;
  assert.equal(c3.status, 'failed');
  assert.match(c3.reason!, /unknown command "self_destruct"/);
  assert.ok(acks.some((a) => a.id === null && a.status === 'failed' && /JSON/.test(a.reason!)));
  assert.equal(s.devices[0].intervalMs, 500, 'a failed command changes nothing');
});

test('reboot acks, drops the link (will fires), comes back online and restarts seq at 1', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['battery'], devices: 1, prefix: 'rb-' });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 5);
  await obs.command(id, { id: 'r1', name: 'reboot' });
  await waitFor('ack', () => obs.acks(id).some((a) => a.id === 'r1' && a.status === 'acked'));
  await waitFor('offline then online', () => obs.states(id).join(',').includes('online,offline,online'));
  const before = obs.seqs(id).length;
  await waitFor('messages after reboot', () => obs.seqs(id).length >= before + 3);
  const seqs = obs.seqs(id);
  const restart = seqs.findIndex((q, i) => i > 0 && q < seqs[i - 1]);
  assert.ok(restart > 0, `seq went back: ${seqs.join(',')}`);
  assert.equal(seqs[restart], 1);
});

test('faults on the wire: dropout leaves a gap, duplicate repeats a seq, out_of_order swaps two', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['factory'], devices: 1, prefix: 'f-' });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 3);

  s.inject(id, { type: 'dropout', count: 3 });
  await waitFor('a gap of 3', () => obs.seqs(id).some((q, i, a) => i > 0 && q - a[i - 1] === 4));
  assert.ok(s.stats().dropped >= 3);

  s.inject(id, { type: 'duplicate', count: 2 });
  await waitFor('repeated seqs', () => obs.seqs(id).filter((q, i, a) => i > 0 && q === a[i - 1]).length >= 2);
  const dup = obs.telemetry(id).find((m, i, a) => i > 0 && m.seq === a[i - 1].seq)!;
  const first = obs.telemetry(id).find((m) => m.seq === dup.seq)!;
  assert.deepEqual(dup, first, 'the very same message');

  s.inject(id, { type: 'out_of_order' });
  await waitFor('a swap', () => obs.seqs(id).some((q, i, a) => i > 0 && q === a[i - 1] - 1));

  assert.throws(() => s.inject(id, { type: 'spike', metric: 'v' }), /fault\.metric/);
  assert.throws(() => s.inject('nope-01', { type: 'spike' }), /no device "nope-01"/);
});

test('spike pushes a value far out, then it returns', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['ina219'], devices: 1, prefix: 'sp-' });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 3);
  s.inject(id, { type: 'spike', metric: 'a', magnitude: 10, count: 2 });
  await waitFor('spike and recovery', () => {
    const a = obs.telemetry(id).map((m) => m.a as number);
    const i = a.findIndex((x) => x > 5);
    return i >= 0 && a.slice(i + 2).some((x) => x < 2);
  });
  const spiked = obs.telemetry(id).filter((m) => (m.a as number) > 5);
  assert.equal(spiked.length, 2);
  for (const m of spiked) assert.ok(Math.abs((m.w as number) - (m.v as number) * (m.a as number)) < 1e-3, 'w follows the spiked current');
});

test('offline: the link drops without DISCONNECT (will fires), then the device returns with seq continuing', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['vibration'], devices: 1, prefix: 'off-' });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 3);
  s.inject(id, { type: 'offline', durationMs: 600 });
  await waitFor('will', () => obs.states(id).includes('offline'));
  assert.equal(s.devices[0].connected, false);
  await waitFor('back online', () => obs.states(id).join(',') === 'online,offline,online');
  const n = obs.seqs(id).length;
  await waitFor('messages after', () => obs.seqs(id).length >= n + 3);
  const seqs = obs.seqs(id);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], 'seq never goes back');
  assert.ok(
    seqs.some((q, i) => i > 0 && q - seqs[i - 1] > 3),
    'messages sampled while offline are lost: a gap',
  );
});

test('stop() leaves "offline" retained and no will fires', async () => {
  const s = await startSimulator({ brokerUrl: broker.url, rateHz: 20, kinds: ['ina219'], devices: 1, prefix: 'stop-' });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 2);
  await s.stop();
  await s.stop(); // idempotent
  const late = await Observer.start(broker.url, `devices/${id}/state`);
  try {
    await waitFor('retained state', () => late.seen.length >= 1);
    assert.equal(late.seen[0].text, 'offline');
    assert.equal(late.seen[0].retain, true);
  } finally {
    await late.stop();
  }
  await sleep(200);
  assert.deepEqual(obs.states(id), ['online', 'offline'], 'one offline: ours, not a will as well');
  const n = obs.telemetry(id).length;
  await sleep(200);
  assert.equal(obs.telemetry(id).length, n, 'nothing after stop');
});

test('an unreachable broker is a clear error, not a hang', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    startSimulator({ brokerUrl: `mqtt://127.0.0.1:${port}`, devices: 2, connectTimeoutMs: 700 }),
    /simulator: 2 of 2 devices could not connect to mqtt:\/\/127\.0\.0\.1:\d+: .*within 700 ms.*ECONNREFUSED/,
  );
  await assert.rejects(startSimulator({ brokerUrl: 'http://x', devices: 1 }), /brokerUrl/);
  await assert.rejects(startSimulator({ brokerUrl: broker.url, kinds: ['toaster' as KindName] }), /unknown kind "toaster"/);
});

test('a broker restart is survived and the seq counter continues', async (t) => {
  let b = await startBroker();
  const port = b.port;
  const s = await startSimulator({ brokerUrl: b.url, rateHz: 20, kinds: ['ina219'], devices: 1, prefix: 'rs-' });
  t.after(async () => {
    await s.stop();
    await b.close();
  });
  const id = s.devices[0].id;
  await waitFor('publishing', () => s.devices[0].seq >= 5);
  await b.close();
  await sleep(300);
  const seqAtRestart = s.devices[0].seq;
  b = await startBroker(port);
  const o = await Observer.start(b.url, `devices/${id}/telemetry`);
  try {
    // QoS 1 messages in flight when the broker died may be redelivered first: look past them.
    await waitFor('fresh telemetry on the new broker', () => o.seqs(id).filter((q) => q > seqAtRestart).length >= 3, 8000);
    const fresh = o.seqs(id).filter((q) => q > seqAtRestart);
    assert.ok(
      fresh.every((q, i) => i === 0 || q > fresh[i - 1]),
      `seq continued: ${seqAtRestart} -> ${fresh.join(',')}`,
    );
    assert.ok(!o.seqs(id).includes(1), 'no restart of the counter');
    assert.equal(s.devices[0].connected, true);
  } finally {
    await o.stop();
  }
});

test('scheduled faults fire by themselves', async (t) => {
  const s = await sim(t, {
    rateHz: 20,
    kinds: ['battery'],
    devices: 2,
    prefix: 'sch-',
    schedule: [{ device: 'sch-battery-02', fault: { type: 'duplicate', count: 1 }, atMs: 200 }],
  });
  const [one, two] = s.devices.map((d) => d.id);
  await waitFor('a duplicate on the scheduled device', () => obs.seqs(two).some((q, i, a) => i > 0 && q === a[i - 1]));
  const seqs = obs.seqs(one);
  assert.ok(
    seqs.every((q, i) => i === 0 || q === seqs[i - 1] + 1),
    'the other device is untouched',
  );
  await assert.rejects(
    startSimulator({ brokerUrl: broker.url, devices: 1, prefix: 'x-', schedule: [{ device: 'zzz', fault: { type: 'spike' } }] }),
    /schedule\[0\]\.device "zzz" matches no device/,
  );
});

test('with bufferSize, messages sampled while offline are replayed on return: late, but no gap', async (t) => {
  const s = await sim(t, { rateHz: 20, kinds: ['battery'], devices: 1, prefix: 'buf-', bufferSize: 100 });
  const id = s.devices[0].id;
  await waitFor('messages', () => obs.telemetry(id).length >= 3);
  s.inject(id, { type: 'offline', durationMs: 500 });
  await waitFor('will', () => obs.states(id).includes('offline'));
  const atDrop = s.devices[0].seq;
  await waitFor('back and past the outage', () => obs.seqs(id).some((q) => q > atDrop + 15), 5000);
  const seqs = [...new Set(obs.seqs(id))].sort((a, b) => a - b);
  // QoS 1 in flight at the drop may be lost with the connection; everything sampled offline arrives.
  const after = seqs.filter((q) => q > atDrop + 1);
  assert.ok(
    after.every((q, i) => i === 0 || q === after[i - 1] + 1),
    `contiguous after the outage: ${after.join(',')}`,
  );
  assert.equal(s.stats().dropped, 0);
});

test("credentials are used; a refusal fails fast with the broker's reason", async (t) => {
  const b = await startBroker(0, { authenticate: (_c, u, p, done) => done(null, u === 'dev' && p?.toString() === 'pw') });
  t.after(() => b.close());
  const t0 = Date.now();
  await assert.rejects(
    startSimulator({ brokerUrl: b.url, devices: 1, username: 'dev', password: randomBytes(8).toString('hex'), connectTimeoutMs: 5000 }),
    /refused the connection/,
  );
  assert.ok(Date.now() - t0 < 4000, 'did not wait for the timeout');
  const s = await startSimulator({ brokerUrl: b.url, devices: 1, username: 'dev', password: 'pw' });
  await s.stop();
});
