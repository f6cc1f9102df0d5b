import { readFileSync } from 'node:fs';

export interface ConnectionLimits {
  /** Open connections at most (0: no limit). */
  maxConnections: number;
  /** Open connections per remote address (0: no limit). */
  perIp: number;
  /** Connections not yet accepted by CONNECT, all addresses together (0: no limit). */
  pending: number;
}

export type ConnectionRefusal = 'max_connections' | 'per_ip' | 'pending';

/** One admitted connection: pending until its CONNECT is accepted, then established, until it closes. */
export interface ConnectionTicket {
  readonly accepted: boolean;
  accept(): void;
  release(): void;
}

const PENDING = 0;
const ACCEPTED = 1;
const CLOSED = 2;

/** Methods on the prototype, not closures per connection: with 100,000 devices each byte counts 100,000 times. */
class Ticket implements ConnectionTicket {
  private state = PENDING;

  constructor(
    private readonly gate: ConnectionGate,
    private readonly ip: string,
  ) {}

  get accepted(): boolean {
    return this.state === ACCEPTED;
  }

  accept(): void {
    if (this.state !== PENDING) return;
    this.state = ACCEPTED;
    this.gate.accepted();
  }

  release(): void {
    if (this.state === CLOSED) return;
    const wasPending = this.state === PENDING;
    this.state = CLOSED;
    this.gate.released(this.ip, wasPending);
  }
}

/**
 * Admits TCP connections to the broker before a byte is read: a flood of idle sockets from one
 * address, or of sockets that never sign in, is refused at the door instead of taking every file
 * descriptor the process has (HTTP and the store need some too).
 */
export class ConnectionGate {
  private total = 0;
  private pending = 0;
  private byIp = new Map<string, number>();

  constructor(private readonly limits: ConnectionLimits) {}

  admit(ip: string): ConnectionTicket | ConnectionRefusal {
    const { maxConnections, perIp, pending } = this.limits;
    if (maxConnections > 0 && this.total >= maxConnections) return 'max_connections';
    if (pending > 0 && this.pending >= pending) return 'pending';
    const n = this.byIp.get(ip) ?? 0;
    if (perIp > 0 && n >= perIp) return 'per_ip';
    this.total++;
    this.pending++;
    this.byIp.set(ip, n + 1);
    return new Ticket(this, ip);
  }

  /** @internal: a ticket's CONNECT was accepted. */
  accepted(): void {
    this.pending--;
  }

  /** @internal: a ticket's connection closed. */
  released(ip: string, wasPending: boolean): void {
    if (wasPending) this.pending--;
    this.total--;
    const left = (this.byIp.get(ip) ?? 1) - 1;
    if (left > 0) this.byIp.set(ip, left);
    else this.byIp.delete(ip);
  }

  counts(): { total: number; pending: number; addresses: number } {
    return { total: this.total, pending: this.pending, addresses: this.byIp.size };
  }
}

/** Descriptors kept back from MQTT for HTTP, the store, the spool and logs. */
export const FD_HEADROOM = 1024;

/**
 * The default cap on MQTT connections: the process's open-file limit less FD_HEADROOM (Linux
 * /proc/self/limits); 0 (no cap) where that cannot be read or is unlimited.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limitsFile, 'utf8'));
    if (!m || m[1] === 'unlimited') return 0;
    return Math.max(64, Number(m[1]) - FD_HEADROOM);
  } catch {
    return 0;
  }
}
