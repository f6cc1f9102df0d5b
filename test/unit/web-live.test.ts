import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveClient, backoffDelay, liveUrl, type SocketLike } from '../../web/src/live.js';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

function client(now = () => 0) {
  FakeSocket.all = [];
  return new LiveClient({
    url: 'ws://x/api/v1/live',
    createSocket: (u) => new FakeSocket(u),
    minDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 1,
    now,
  });
}

test('backoff doubles up to the cap, with up to half of it jittered', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, 100, 1000, () => 1)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(
    backoffDelay(3, 100, 1000, () => 0),
    400,
  );
  assert.equal(liveUrl({ protocol: 'https:', host: 'h:1' }), 'wss://h:1/api/v1/live');
  assert.equal(liveUrl({ protocol: 'http:', host: 'h' }), 'ws://h/api/v1/live');
});

test('reconnects with growing delays, re-subscribes, and reports state', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const c = client();
  const states: string[] = [];
  c.onState((s) => states.push(s));
  const opens: boolean[] = [];
  c.onOpen((r) => opens.push(r));
  c.subscribe('*');
  c.start();
  assert.equal(c.state, 'connecting');
  FakeSocket.all[0].open();
  assert.equal(c.state, 'connected');
  assert.deepEqual(FakeSocket.all[0].sent, [{ op: 'subscribe', devices: '*' }]);

  FakeSocket.all[0].drop();
  assert.equal(c.state, 'reconnecting');
  t.mock.timers.tick(99);
  assert.equal(FakeSocket.all.length, 1);
  t.mock.timers.tick(1);
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1].drop(); // refused again: the next wait doubles
  t.mock.timers.tick(199);
  assert.equal(FakeSocket.all.length, 2);
  t.mock.timers.tick(1);
  assert.equal(FakeSocket.all.length, 3);
  FakeSocket.all[2].open();
  assert.equal(c.state, 'connected');
  assert.deepEqual(FakeSocket.all[2].sent, [{ op: 'subscribe', devices: '*' }]);
  assert.deepEqual(opens, [false, true]);
  assert.deepEqual(states, ['connecting', 'connected', 'reconnecting', 'connected']);

  // A message resets the backoff.
  FakeSocket.all[2].receive({ type: 'hello', version: '1', time: 0 });
  FakeSocket.all[2].drop();
  t.mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 4);
  c.stop();
  assert.equal(c.state, 'closed');
});

test('subscriptions are reference-counted and moved between "*" and ids', () => {
  const c = client();
  c.start();
  const s = FakeSocket.all[0];
  s.open();
  const offAll = c.subscribe('*');
  const offA = c.subscribe(['a']);
  const offA2 = c.subscribe(['a', 'b']);
  assert.deepEqual(s.sent, [{ op: 'subscribe', devices: '*' }]);
  s.sent = [];
  offAll();
  assert.deepEqual(s.sent, [
    { op: 'unsubscribe', devices: '*' },
    { op: 'subscribe', devices: ['a', 'b'] },
  ]);
  s.sent = [];
  offA2();
  assert.deepEqual(s.sent, [{ op: 'unsubscribe', devices: ['b'] }]);
  s.sent = [];
  offA2(); // a second call does nothing
  offA();
  assert.deepEqual(s.sent, [{ op: 'unsubscribe', devices: ['a'] }]);
  c.stop();
});

test('passes every message with a type on, ignores junk, and tracks the server clock', () => {
  const c = client(() => 1000);
  const got: string[] = [];
  c.onMessage((m) => got.push(m.type));
  c.start();
  const s = FakeSocket.all[0];
  s.open();
  s.receive({ type: 'hello', version: '0.1.0', time: 6000 });
  s.onmessage?.({ data: 'not json' });
  s.receive({ nope: 1 });
  s.receive({ type: 'alarm', id: 'x' });
  assert.deepEqual(got, ['hello', 'alarm']);
  assert.equal(c.serverNow(), 6000);
  c.stop();
});

test('pings, and drops a socket that has gone silent', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  let now = 0;
  FakeSocket.all = [];
  const c = new LiveClient({
    url: 'ws://x',
    createSocket: (u) => new FakeSocket(u),
    pingIntervalMs: 1000,
    staleAfterMs: 2500,
    minDelayMs: 100,
    random: () => 1,
    now: () => now,
  });
  c.start();
  const s = FakeSocket.all[0];
  s.open();
  now = 1000;
  t.mock.timers.tick(1000);
  assert.deepEqual(s.sent, [{ op: 'ping' }]);
  now = 3000;
  t.mock.timers.tick(2000);
  assert.equal(c.state, 'reconnecting');
  assert.equal(s.readyState, 3);
  t.mock.timers.tick(100);
  assert.equal(FakeSocket.all.length, 2);
  c.stop();
});

test('a batch frame is heard as its messages, one by one, in order; a server closing with 4008 (too slow) is reconnected to', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const c = client();
  const heard: unknown[] = [];
  c.onMessage((m) => heard.push(m));
  const opens: boolean[] = [];
  c.onOpen((r) => opens.push(r));
  c.start();
  const s = FakeSocket.all[0];
  s.open();
  const r = (seq: number) => ({ type: 'readings', device: 'd', ts: seq, seq, values: { x: seq } });
  s.receive({ type: 'batch', messages: [r(1), { type: 'device', device: 'd', online: true, lastSeen: 1, profile: null }, r(2), 'junk', r(3)] });
  s.receive(r(4));
  assert.deepEqual(
    heard.map((m) => (m as { type: string; seq?: number }).seq ?? (m as { type: string }).type),
    [1, 'device', 2, 3, 4],
  );
  assert.ok(
    heard.every((m) => (m as { type: string }).type !== 'batch'),
    'listeners never see the envelope',
  );
  // The server gave up on this connection (4008): the client comes back and says it may have missed data.
  s.drop();
  t.mock.timers.tick(100);
  FakeSocket.all[1].open();
  assert.deepEqual(opens, [false, true]);
  c.stop();
});

test('a large batch is handed on in slices within the budget, in order, later messages behind it; stop() drops what is left', () => {
  FakeSocket.all = [];
  let clock = 0;
  const later: (() => void)[] = [];
  const c = new LiveClient({
    url: 'ws://x/api/v1/live',
    createSocket: (u) => new FakeSocket(u),
    sliceMs: 4,
    // Each message costs 0.1 ms of this clock: 4 ms is 40 messages, checked every 64.
    clock: () => clock,
    yieldTask: (fn) => later.push(fn),
  });
  const heard: number[] = [];
  c.onMessage((m) => {
    clock += 0.1;
    const seq = (m as { seq?: number }).seq;
    if (typeof seq === 'number') heard.push(seq);
  });
  c.start();
  const s = FakeSocket.all[0];
  s.open();
  const r = (seq: number) => ({ type: 'readings', device: `d${seq % 50}`, ts: seq, seq, values: { x: seq } });
  s.receive({ type: 'batch', messages: Array.from({ length: 1000 }, (_, i) => r(i)) });
  // The first slice only: the rest waits for a later task.
  assert.equal(heard.length, 64);
  assert.equal(c.pending, 1000 - 64);
  assert.equal(later.length, 1);
  // A message arriving meanwhile is heard after the batch, never before its rest.
  s.receive(r(5000));
  assert.equal(heard.length, 64);
  let slices = 1;
  while (later.length) {
    later.shift()!();
    slices++;
  }
  assert.equal(heard.length, 1001);
  assert.deepEqual(heard, [...Array.from({ length: 1000 }, (_, i) => i), 5000]);
  assert.ok(slices >= 1000 / 64, `handed on in ${slices} slices`);
  assert.equal(c.pending, 0);
  // A batch still in slices when the client stops is not handed on afterwards.
  s.receive({ type: 'batch', messages: Array.from({ length: 300 }, (_, i) => r(i)) });
  c.stop();
  const before = heard.length;
  while (later.length) later.shift()!();
  assert.equal(heard.length, before);
});
