import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A socat pty pair: two linked pseudo-terminals at DIR/a and DIR/b, as a null-modem cable. */
export interface PtyPair {
  a: string;
  b: string;
  /** Pulls the cable: socat dies and both ptys vanish. */
  kill(): Promise<void>;
  /** Plugs it back in (same paths). */
  start(): Promise<void>;
}

export async function startPtyPair(dir: string): Promise<PtyPair> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let log = '';
    c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const deadline = Date.now() + 10_000;
    while (!(existsSync(a) && existsSync(b) && log.includes('starting data transfer loop'))) {
      if (c.exitCode !== null) throw new Error(`socat exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`socat did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  };
  await start();
  return { a, b, kill, start };
}
