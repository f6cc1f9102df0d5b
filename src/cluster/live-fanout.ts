import type { NatsConnection, Subscription } from 'nats';
import type { Message } from '../model/reading.js';
import type { Logger } from '../logger.js';

const SUBJECT = 'fieldscope.committed';
/** Messages per NATS publish, well under the server's default 1 MiB payload limit. */
const CHUNK = 200;

/**
 * Committed live messages go to every node: the owner of a device publishes what it committed on
 * a core NATS subject, and every other node hands it to its own followers (device registry, live
 * WebSocket). Core NATS, not JetStream: a node that misses some (restarting) shows them from the
 * store, as a new browser tab would; nothing here is the record.
 */
export class LiveFanout {
  private sub: Subscription | null = null;
  private readonly listeners: ((messages: Message[]) => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly node: string,
    private readonly logger: Logger,
  ) {}

  onRemote(listener: (messages: Message[]) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    const sub = (this.sub = this.nc.subscribe(SUBJECT));
    void (async () => {
      for await (const m of sub) {
        let body: { node: string; messages: Message[] };
        try {
          body = m.json();
        } catch {
          this.logger.warn({ subject: SUBJECT }, 'cluster: live fan-out message is not JSON');
          continue;
        }
        if (body.node === this.node || !Array.isArray(body.messages)) continue;
        for (const l of this.listeners) {
          try {
            l(body.messages);
          } catch (err) {
            this.logger.error({ err: (err as Error).message }, 'cluster: a live follower failed');
          }
        }
      }
    })();
  }

  publish(messages: Message[]): void {
    if (!messages.length || this.nc.isClosed()) return;
    for (let i = 0; i < messages.length; i += CHUNK) this.nc.publish(SUBJECT, JSON.stringify({ node: this.node, messages: messages.slice(i, i + CHUNK) }));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
