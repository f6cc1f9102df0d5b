import type { Aedes, Client, PublishPacket } from 'aedes';

/**
 * A device's publish that no subscription can receive skips Aedes' forwarding entirely.
 *
 * Aedes' publish runs, for every packet, a Packet object, a state object and a series of callbacks
 * (retained store, the persistence's topic match for offline sessions, the emitter's topic match,
 * the 'publish' event), about a tenth of the main thread at ingest rates, although a fleet's
 * telemetry usually has no MQTT subscriber at all (the pipeline took it in authorizePublish).
 *
 * This keeps its own copy of every subscription filter, from the two places Aedes keeps them: the
 * emitter (live subscriptions, each `mq.on`/`mq.removeListener`) and the persistence (sessions
 * with clean=false, kept while offline: add/remove/clean). A topic's answer "nobody matches" is
 * cached until any of them changes. Only then, for a client's publish that is not retained and
 * has no 'publish' listener, is Aedes' publish skipped; everything else (retained, the server's
 * own publishes, a dashboard subscribed to devices/#, a persistent session offline) takes Aedes'
 * own path unchanged. QoS is unaffected: PUBACK is written by Aedes before publish is called.
 *
 * Filters Aedes subscribes in its constructor (before this is installed) are all under `$SYS/`,
 * which no client topic can match (a client may not publish to `$SYS/`; `+` and `#` never match a
 * leading `$`); any other `$` filter (e.g. `$share/...`) makes every topic take the full path.
 */
export class PublishFastPath {
  /** Live subscriptions: filter -> the emitter's listeners for it. */
  private readonly live = new Map<string, Set<unknown>>();
  /** Persistent sessions' filters, by client id. */
  private readonly persisted = new Map<string, Set<string>>();
  /** Distinct filters of both, as level arrays; rebuilt when either changes. */
  private filters: string[][] | null = [];
  /** A filter neither matched nor ruled out here: every publish takes the full path. */
  private opaque = 0;
  /** Topics known to match no filter, since the last change of the filters. */
  private readonly unmatched = new Set<string>();
  skipped = 0;

  constructor(private readonly aedes: Aedes) {}

  install(): void {
    const aedes = this.aedes as unknown as AedesInternals;
    const mq = aedes.mq;
    const on = mq.on.bind(mq);
    const removeListener = mq.removeListener.bind(mq);
    mq.on = (topic, notify, done) => {
      let set = this.live.get(topic);
      if (!set) this.live.set(topic, (set = new Set()));
      set.add(notify);
      this.changed();
      return on(topic, notify, done);
    };
    mq.removeListener = (topic, notify, done) => {
      const set = this.live.get(topic);
      if (set?.delete(notify) && set.size === 0) this.live.delete(topic);
      this.changed();
      return removeListener(topic, notify, done);
    };
    const p = aedes.persistence;
    const add = p.addSubscriptions.bind(p);
    const remove = p.removeSubscriptions.bind(p);
    const clean = p.cleanSubscriptions.bind(p);
    // Recorded before the persistence has them: a publish in between takes the full path, never misses one.
    p.addSubscriptions = (client, subs) => {
      let set = this.persisted.get(client.id);
      if (!set) this.persisted.set(client.id, (set = new Set()));
      for (const s of subs) set.add(s.topic);
      this.changed();
      return add(client, subs);
    };
    // Forgotten only once the persistence has let them go.
    p.removeSubscriptions = (client, topics) =>
      remove(client, topics).then((r) => {
        const set = this.persisted.get(client.id);
        if (set) for (const t of topics) set.delete(t);
        if (set?.size === 0) this.persisted.delete(client.id);
        this.changed();
        return r;
      });
    p.cleanSubscriptions = (client) =>
      clean(client).then((r) => {
        this.persisted.delete(client.id);
        this.changed();
        return r;
      });

    const publish = aedes.publish.bind(aedes);
    aedes.publish = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => {
      if (client && typeof client === 'object' && !packet.retain && this.nobodyReceives(packet.topic) && aedes.listenerCount('publish') === 0) {
        this.skipped++;
        return done?.();
      }
      return publish(packet, client as Client, done);
    };
  }

  /** True when no subscription, live or of an offline persistent session, matches the topic. */
  nobodyReceives(topic: string): boolean {
    if (this.unmatched.has(topic)) return true;
    const filters = (this.filters ??= this.collect());
    if (this.opaque > 0 || topic.charCodeAt(0) === 36 /* $ */) return false;
    const levels = topic.split('/');
    for (const f of filters) if (matches(f, levels)) return false;
    // Bounded: a sender of ever new topics costs no more memory than this.
    if (this.unmatched.size >= 100_000) this.unmatched.clear();
    this.unmatched.add(topic);
    return true;
  }

  private changed(): void {
    this.filters = null;
    this.unmatched.clear();
  }

  private collect(): string[][] {
    const all = new Set<string>(this.live.keys());
    for (const set of this.persisted.values()) for (const f of set) all.add(f);
    this.opaque = 0;
    const out: string[][] = [];
    for (const f of all) {
      if (f.startsWith('$SYS/')) continue;
      if (f.charCodeAt(0) === 36) this.opaque++;
      else out.push(f.split('/'));
    }
    return out;
  }
}

/** MQTT filter matching (3.1.1 section 4.7) of a topic not starting with `$`. */
export function matches(filter: string[], topic: string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

type Done = (err?: Error) => void;
interface AedesInternals {
  mq: { on(topic: string, notify: unknown, done?: Done): unknown; removeListener(topic: string, notify: unknown, done?: Done): unknown };
  persistence: {
    addSubscriptions(client: { id: string }, subs: { topic: string }[]): Promise<unknown>;
    removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
    cleanSubscriptions(client: { id: string }): Promise<unknown>;
  };
  publish(packet: PublishPacket, client: Client | null | Done, done?: Done): void;
  listenerCount(event: string): number;
}
