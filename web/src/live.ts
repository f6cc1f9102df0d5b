import type { LiveClientMessage, LiveServerMessage } from '../../src/model/live.js';

export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The part of the browser's WebSocket the client uses (so tests can hand in a fake). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LiveClientOptions {
  /** A function when the URL changes between connects (it carries the current access token). */
  url: string | (() => string);
  createSocket?: (url: string) => SocketLike;
  /** First retry delay; doubles per failed attempt up to maxDelayMs, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How often to ping; a socket silent for staleAfterMs is dropped and reconnected. */
  pingIntervalMs?: number;
  staleAfterMs?: number;
  now?: () => number;
  random?: () => number;
  /**
   * A batch frame's messages are handed to listeners in slices of at most this many ms of work,
   * the rest after `yieldTask`, so one commit's thousands of readings never make one long task
   * (the page draws its frames in between). 0: all at once (the default).
   */
  sliceMs?: number;
  /** Runs `fn` in a later task (the browser may render before it). */
  yieldTask?: (fn: () => void) => void;
  /** A monotonic ms clock for the slice budget. */
  clock?: () => number;
}

/** A later task that lets the browser render first: the Scheduler API where there is one, else a message to ourselves. */
export function browserYield(): (fn: () => void) => void {
  const sched = (globalThis as { scheduler?: { postTask?: (fn: () => void, o?: { priority: string }) => Promise<unknown> } }).scheduler;
  if (sched?.postTask) return (fn) => void sched.postTask!(fn, { priority: 'user-visible' }).catch(() => {});
  if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    const queue: (() => void)[] = [];
    ch.port1.onmessage = () => queue.shift()?.();
    return (fn) => {
      queue.push(fn);
      ch.port2.postMessage(0);
    };
  }
  return (fn) => void setTimeout(fn, 0);
}

/** A message from the server: a known one, or any other `type` (later kinds: alarms, stats). */
export type LiveMessage = LiveServerMessage | { type: string; [k: string]: unknown };

const OPEN = 1;

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, half of it jittered. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (base / 2) * random());
}

/** "ws://host/api/v1/live" or "wss://..." for the page's own origin. */
export function liveUrl(loc: { protocol: string; host: string }, path = '/api/v1/live'): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`;
}

/**
 * The live WebSocket: connects, reconnects with backoff, keeps the wanted subscriptions
 * (reference-counted, re-sent after every reconnect), and tracks the server's clock.
 */
export class LiveClient {
  state: LiveState = 'closed';
  /** When the next reconnect attempt is due (epoch ms, local clock), while reconnecting. */
  retryAt: number | null = null;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private stopped = true;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private clockOffset = 0;
  private wanted = new Map<string, number>();
  private sentAll = false;
  private sentIds = new Set<string>();
  private stateListeners = new Set<(s: LiveState) => void>();
  private messageListeners = new Set<(m: LiveMessage) => void>();
  private openListeners = new Set<(reconnect: boolean) => void>();
  private failListeners = new Set<() => void>();
  private everOpened = false;
  /** Messages heard but not yet handed to listeners (a batch being dispatched in slices), in order. */
  private backlog: LiveMessage[] = [];
  private backlogAt = 0;
  private draining = false;
  private readonly o: Required<LiveClientOptions>;

  constructor(options: LiveClientOptions) {
    this.o = {
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      minDelayMs: 500,
      maxDelayMs: 15_000,
      pingIntervalMs: 20_000,
      staleAfterMs: 45_000,
      now: () => Date.now(),
      random: Math.random,
      sliceMs: 0,
      yieldTask: (fn) => void setTimeout(fn, 0),
      clock: () => performance.now(),
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    // What the old connection sent is not handed on to whoever signs in next.
    this.backlog = [];
    this.backlogAt = 0;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onclose = s.onerror = s.onmessage = null;
      s.close(1000, 'client stopped');
    }
    this.setState('closed');
  }

  /** Reconnects now instead of waiting out the backoff (e.g. when the browser comes back online). */
  kick(): void {
    if (this.stopped || this.state !== 'reconnecting') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  /** The server's clock, as of the last hello/pong (local clock when none yet). */
  serverNow(): number {
    return this.o.now() + this.clockOffset;
  }

  onState(fn: (s: LiveState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  onMessage(fn: (m: LiveMessage) => void): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  /** Called on every open; `reconnect` is true after the first, when data may have been missed. */
  onOpen(fn: (reconnect: boolean) => void): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  /** Called when a socket closes before it opened (refused upgrade, e.g. 401, or no server). */
  onOpenFailed(fn: () => void): () => void {
    this.failListeners.add(fn);
    return () => this.failListeners.delete(fn);
  }

  /** Drops the socket and connects afresh now, keeping the subscriptions (e.g. after signing in or out). */
  restart(): void {
    if (this.stopped) return;
    this.stop();
    this.start();
  }

  /** Wants live data for these devices ('*' = all) until the returned function is called. */
  subscribe(devices: '*' | string[]): () => void {
    const keys = devices === '*' ? ['*'] : [...new Set(devices)];
    for (const k of keys) this.wanted.set(k, (this.wanted.get(k) ?? 0) + 1);
    this.sync();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of keys) {
        const n = (this.wanted.get(k) ?? 0) - 1;
        if (n > 0) this.wanted.set(k, n);
        else this.wanted.delete(k);
      }
      this.sync();
    };
  }

  send(msg: LiveClientMessage): boolean {
    const s = this.socket;
    if (!s || s.readyState !== OPEN) return false;
    s.send(JSON.stringify(msg));
    return true;
  }

  private connect(): void {
    this.retryAt = null;
    this.setState(this.everOpened || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let s: SocketLike;
    try {
      s = this.o.createSocket(typeof this.o.url === 'function' ? this.o.url() : this.o.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      this.lastHeard = this.o.now();
      this.sentAll = false;
      this.sentIds.clear();
      this.setState('connected');
      this.sync();
      this.startPing();
      const reconnect = this.everOpened;
      this.everOpened = true;
      for (const fn of [...this.openListeners]) safe(() => fn(reconnect));
    };
    s.onmessage = (ev) => {
      if (this.socket !== s) return;
      this.lastHeard = this.o.now();
      // A connection that talks is a good one: the next failure starts the backoff afresh.
      this.attempt = 0;
      let msg: unknown;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return;
      const m = msg as LiveMessage;
      if (m.type === 'batch') {
        // One server turn's messages (?frames=batch): heard one by one, in order, as if sent apart.
        const inner = (m as { messages?: unknown }).messages;
        if (!Array.isArray(inner)) return;
        for (const x of inner) if (isMessage(x)) this.backlog.push(x as LiveMessage);
        this.drain();
        return;
      }
      this.backlog.push(m);
      this.drain();
    };
    s.onerror = () => {};
    let opened = false;
    const onopen = s.onopen;
    s.onopen = (ev) => {
      opened = true;
      onopen?.(ev);
    };
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      if (!opened) for (const fn of [...this.failListeners]) safe(fn);
      this.scheduleReconnect();
    };
  }

  /** Messages still waiting to be handed to listeners (a batch part-way through its slices). */
  get pending(): number {
    return this.backlog.length - this.backlogAt;
  }

  /** Hands queued messages to listeners, in order, within the slice budget; the rest in a later task. */
  private drain(): void {
    if (this.draining) return;
    const budget = this.o.sliceMs;
    const started = budget > 0 ? this.o.clock() : 0;
    const listeners = [...this.messageListeners];
    let n = 0;
    while (this.backlogAt < this.backlog.length) {
      this.dispatch(this.backlog[this.backlogAt++], listeners);
      // The clock is read every 64 messages: reading it per message would cost more than the check saves.
      if (budget > 0 && ++n % 64 === 0 && this.o.clock() - started >= budget && this.backlogAt < this.backlog.length) {
        this.draining = true;
        this.o.yieldTask(() => {
          this.draining = false;
          this.drain();
        });
        return;
      }
    }
    this.backlog = [];
    this.backlogAt = 0;
  }

  private dispatch(m: LiveMessage, listeners: ((m: LiveMessage) => void)[]): void {
    if ((m.type === 'hello' || m.type === 'pong') && typeof m.time === 'number') {
      this.clockOffset = m.time - this.o.now();
    }
    for (const fn of listeners) safe(() => fn(m));
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.o.minDelayMs, this.o.maxDelayMs, this.o.random);
    this.retryAt = this.o.now() + delay;
    this.setState('reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private startPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const s = this.socket;
      if (!s) return;
      if (this.o.now() - this.lastHeard > this.o.staleAfterMs) {
        // Silent too long (half-open TCP, sleeping laptop): drop it and start over.
        this.socket = null;
        s.onopen = s.onclose = s.onerror = s.onmessage = null;
        safe(() => s.close(4000, 'stale'));
        this.scheduleReconnect();
        return;
      }
      this.send({ op: 'ping' });
    }, this.o.pingIntervalMs);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }

  /** Brings the server's subscriptions in line with what is wanted. */
  private sync(): void {
    if (!this.socket || this.socket.readyState !== OPEN) return;
    const wantAll = this.wanted.has('*');
    const wantIds = new Set([...this.wanted.keys()].filter((k) => k !== '*'));
    if (this.sentAll && !wantAll) {
      const drop = [...this.sentIds].filter((id) => !wantIds.has(id));
      if (drop.length) this.send({ op: 'unsubscribe', devices: drop });
      this.send({ op: 'unsubscribe', devices: '*' });
      this.sentAll = false;
      // Whether the server read that as "everything" or just the wildcard, say again what we want.
      this.sentIds.clear();
    }
    if (wantAll) {
      if (!this.sentAll) this.send({ op: 'subscribe', devices: '*' });
      this.sentAll = true;
      return;
    }
    const add = [...wantIds].filter((id) => !this.sentIds.has(id));
    const remove = [...this.sentIds].filter((id) => !wantIds.has(id));
    if (remove.length) this.send({ op: 'unsubscribe', devices: remove });
    if (add.length) this.send({ op: 'subscribe', devices: add });
    this.sentIds = wantIds;
  }

  private setState(s: LiveState): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of [...this.stateListeners]) safe(() => fn(s));
  }
}

function isMessage(x: unknown): boolean {
  return !!x && typeof x === 'object' && typeof (x as { type?: unknown }).type === 'string';
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error(err);
  }
}
