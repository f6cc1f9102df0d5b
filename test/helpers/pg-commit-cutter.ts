import net from 'node:net';

/**
 * A TCP proxy in front of a PostgreSQL server that can lose the answer to a COMMIT: armed, it reads
 * the server's messages (a type byte and a 4-byte length each) and, at the next CommandComplete
 * "COMMIT", closes both sides instead of passing it on. The server has committed; the client sees its
 * connection drop with no answer, as after a network failure or a crash between COMMIT and the reply.
 */
export interface CommitCutter {
  port: number;
  /** postgres://postgres@127.0.0.1:<proxy port>/<db> */
  url(db: string): string;
  /**
   * Drops the answers to the next `n` COMMITs of transactions that ran a COPY (a telemetry batch's:
   * the other transactions of a running server, an alarm's or an audit entry's, pass); resolves when
   * they have been dropped.
   */
  cutNextCommits(n?: number): Promise<void>;
  /** COMMIT answers dropped so far. */
  readonly cut: number;
  close(): Promise<void>;
}

const COMMAND_COMPLETE = 0x43; // 'C'
const COPY_IN_RESPONSE = 0x47; // 'G'
const COMMIT_TAG = Buffer.from('COMMIT\0');

export async function startCommitCutter(target: { host?: string; port: number }): Promise<CommitCutter> {
  let armed = 0;
  let cut = 0;
  let onCut: (() => void) | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, noDelay: true });
    client.setNoDelay(true);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    // The server's side is passed on message by message, so that a COMMIT's answer can be held back whole.
    let pending: Buffer = Buffer.alloc(0);
    /** This connection's transaction has run a COPY since its last COMMIT. */
    let copied = false;
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (pending.length - at >= 5) {
        const len = pending.readInt32BE(at + 1);
        if (pending.length - at < 1 + len) break;
        if (pending[at] === COPY_IN_RESPONSE) copied = true;
        const isCommit = pending[at] === COMMAND_COMPLETE && pending.subarray(at + 5, at + 1 + len).equals(COMMIT_TAG);
        const cutThis = isCommit && copied && armed > 0;
        if (isCommit) copied = false;
        if (cutThis) {
          armed--;
          cut++;
          // What came before the COMMIT's answer is passed on; then both sides close.
          upstream
            .removeAllListeners('data')
            .removeAllListeners('close')
            .on('close', () => sockets.delete(upstream));
          upstream.destroy();
          client.end(pending.subarray(0, at));
          if (armed === 0) onCut?.();
          return;
        }
        at += 1 + len;
      }
      if (at > 0) client.write(pending.subarray(0, at));
      pending = pending.subarray(at);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    cutNextCommits(n = 1) {
      armed = n;
      return new Promise<void>((resolve) => (onCut = resolve));
    },
    get cut() {
      return cut;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
