import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from '../../test/helpers/services.js';

export { freePort };

export const root = new URL('../..', import.meta.url).pathname;

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function waitForPort(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Proc {
  proc: ChildProcess;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess, after?: () => void): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(after?.());
      proc.once('exit', () => resolve(after?.()));
      proc.kill('SIGTERM');
    });
}

export interface Fieldscope extends Proc {
  httpUrl: string;
  mqttUrl: string;
}

/** Starts the built Fieldscope as its own process, as a user would, and reads the printed addresses. */
export async function startFieldscope(args: string[], dataDir: string, nodeArgs: string[] = []): Promise<Fieldscope> {
  // FIELDSCOPE_BENCH_SERVER: another build's bin/fieldscope.js, to measure a before and an after in the same way.
  const bin = process.env.FIELDSCOPE_BENCH_SERVER ?? join(root, 'bin/fieldscope.js');
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'start', '--http-port', '0', '--mqtt-port', '0', '--data', dataDir, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const urls = await new Promise<{ http: string; mqtt: string }>((resolve, reject) => {
    // A server that did not start in time is not left running behind the failed benchmark (2 min: a
    // shared machine at load 20 took longer than 30 s to start it).
    const timer = setTimeout(() => (proc.kill(), reject(new Error(`fieldscope did not start: ${err}`))), 120_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const http = /Dashboard\s+(http:\/\/\S+?)\/?\s/.exec(out);
      const mqtt = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
      if (http && mqtt) {
        clearTimeout(timer);
        resolve({ http: http[1], mqtt: mqtt[1] });
      }
    });
    proc.once('exit', (code) => reject(new Error(`fieldscope exited ${code}: ${err}`)));
  });
  // A server that dies during a benchmark says why (the bench may otherwise wait on clients that can
  // no longer connect): its last words, kept to the last 64 KiB of each stream.
  const keep = 65_536;
  proc.stdout!.on('data', () => (out = out.length > 2 * keep ? out.slice(-keep) : out));
  proc.stderr!.on('data', () => (err = err.length > 2 * keep ? err.slice(-keep) : err));
  let stopping = false;
  proc.once('exit', (code, signal) => {
    if (!stopping)
      process.stderr.write(`  fieldscope exited during the benchmark (code ${code}, signal ${signal}):\n${err.slice(-4000)}\n${out.slice(-2000)}\n`);
  });
  const stop = stopper(proc);
  return {
    proc,
    httpUrl: urls.http,
    mqttUrl: urls.mqtt,
    stop: () => {
      stopping = true;
      return stop();
    },
  };
}

/** A bare Mosquitto on a free port: the baseline a broker-only system reaches. */
export async function startMosquitto(): Promise<Proc & { port: number; url: string }> {
  const port = await freePort();
  const dir = tempDir('fs-bench-mosq-');
  const conf = join(dir.dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 0\nmax_queued_messages 0\n`);
  const proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, 'mosquitto');
  return { proc, port, url: `mqtt://127.0.0.1:${port}`, stop: stopper(proc, () => dir.remove()) };
}

/**
 * Runs a bench script in its own process (so load and server do not share one event loop).
 * `ready` resolves when the script prints "ready"; `result` is the JSON of its last line.
 */
export function runScript<T>(script: string, args: Record<string, string | number>): { proc: ChildProcess; ready: Promise<void>; result: Promise<T> } {
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', script), ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let markReady: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  proc.stdout!.on('data', (d) => {
    out += d;
    if (/^ready$/m.test(out)) markReady();
  });
  const result = new Promise<T>((resolve, reject) => {
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
    });
  });
  return { proc, ready, result };
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
