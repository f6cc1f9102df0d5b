import net from 'node:net';

/** The parts of postgres.js's parsed options a connection's socket is made from. */
interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A connection's socket with Nagle's algorithm off. postgres.js opens plain net.Sockets, which keep
 * it on: a transaction pipelines small messages (COPY data then CopyDone, a SAVEPOINT behind an
 * INSERT), and each small write sent while an earlier one is unacknowledged waits for the server's
 * delayed ACK, about 40 ms on Linux, while the server waits for that very message. A write
 * transaction paid several such waits, which was most of a QoS1 PUBACK's latency (BENCHMARKS.md).
 *
 * Returned still connecting: postgres.js treats a socket it is given as connected and writes its
 * startup message at once (Node holds writes until the connection is up); a failed connect reaches
 * postgres.js as the same 'error' and 'close' its own socket would emit, so its retries and its
 * connect_timeout work as before. Hosts are tried in turn, one per connect, as postgres.js does.
 */
export function noDelaySockets(): (o: SocketTarget) => net.Socket {
  let next = 0;
  return (o) => {
    if (o.path) return net.connect({ path: o.path, noDelay: true });
    const i = next++ % o.host.length;
    return net.connect({ host: o.host[i], port: o.port[i] ?? o.port[0], noDelay: true });
  };
}

/** postgres.js options that make every connection of a pool with noDelaySockets (its typings omit `socket`). */
export function noDelay(): Record<string, unknown> {
  return { socket: noDelaySockets() };
}
