// The same ingest rate spread over more devices: what a message costs when each commit touches its
// own device's rows (issue 21: 100,000 devices at 10,000 msg/s fell behind while 100 devices take
// 50,000 msg/s). For each fleet size D, a fresh server, every device created first (one message
// each, not timed), then `messages` messages round-robin over the D devices (3 metrics and a seq
// each) posted as NDJSON bodies of 1,000 lines, a few requests in flight, each answered after its
// commit. Figures: messages/s, the server's CPU per message and the bytes it wrote per message
// (/proc/<pid>/io wchar: the WAL, the checkpoints and its few socket answers), the smallest fleet
// as the baseline of the same run.
import { readFileSync } from 'node:fs';
import { startFieldscope, tempDir } from './lib/procs.js';
import { treeCpuSeconds } from './lib/cpu.js';
import type { Figure } from './lib/report.js';

const LINES = 1000;
const IN_FLIGHT = 4;

/** Bytes the process (all its threads) handed to write(2) and kin so far. */
function writtenBytes(pid: number): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface Round {
  devices: number;
  rate: number;
  cpuUsPerMsg: number;
  bytesPerMsg: number;
}

async function post(url: string, body: string): Promise<void> {
  const r = await fetch(`${url}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  const text = await r.text();
  if (!r.ok) throw new Error(`ingest answered ${r.status}: ${text.slice(0, 200)}`);
}

/** Posts `total` messages over `devices` devices, starting at seq `seq0`, IN_FLIGHT bodies at a time. */
async function send(url: string, devices: number, total: number, seq0: number): Promise<void> {
  let next = 0;
  const body = (start: number) => {
    const lines: string[] = [];
    for (let k = start; k < Math.min(total, start + LINES); k++) {
      const d = k % devices;
      const seq = seq0 + Math.floor(k / devices);
      lines.push(`{"device_id":"spread-${d}","seq":${seq},"v":${(5 + (k % 7) / 100).toFixed(2)},"a":0.25,"w":1.25}`);
    }
    return lines.join('\n');
  };
  const worker = async () => {
    while (next < total) {
      const start = next;
      next += LINES;
      await post(url, body(start));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function round(devices: number, messages: number, profileDir?: string): Promise<Round> {
  const data = tempDir('fs-bench-spread-');
  // --cpu-prof: every thread of the server writes its profile when it stops (the creation of the devices included).
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${devices}`] : [];
  const fs = await startFieldscope(['--no-simulator', '--anonymous-role', 'admin', '--api-rate', '0', '--device-rate', '0'], data.dir, nodeArgs);
  try {
    // Every device and its series exist before the clock starts: creating them is not what is measured.
    await send(fs.httpUrl, devices, devices, 1);
    const cpu0 = treeCpuSeconds(fs.proc.pid!);
    const w0 = writtenBytes(fs.proc.pid!);
    const t0 = performance.now();
    await send(fs.httpUrl, devices, messages, 2);
    const s = (performance.now() - t0) / 1000;
    return {
      devices,
      rate: messages / s,
      cpuUsPerMsg: ((treeCpuSeconds(fs.proc.pid!) - cpu0) * 1e6) / messages,
      bytesPerMsg: (writtenBytes(fs.proc.pid!) - w0) / messages,
    };
  } finally {
    await fs.stop();
    data.remove();
  }
}

/** profileDir: CPU profiles of every server thread, one folder per fleet size (read with bench/lib/cpuprofile.ts). */
export async function benchIngestSpread(o: { fleets: number[]; messages: number; runs: number; profileDir?: string }): Promise<Figure[]> {
  const rounds: Round[] = [];
  // Alternating fleet sizes within each run: all sizes see the same machine load.
  for (let r = 0; r < o.runs; r++)
    for (const d of o.fleets) {
      const x = await round(d, o.messages, o.profileDir);
      rounds.push(x);
      process.stderr.write(
        `  ingest-spread run ${r + 1}, ${d} devices: ${x.rate.toFixed(0)} msg/s, ${x.cpuUsPerMsg.toFixed(1)} us CPU and ${(x.bytesPerMsg / 1024).toFixed(1)} KiB written per message\n`,
      );
    }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (d: number, f: (x: Round) => number) => rounds.filter((x) => x.devices === d).map(f);
  const base = o.fleets[0];
  const note = `${o.messages} messages (3 readings and a seq each) over D devices round-robin, NDJSON bodies of ${LINES} lines, ${IN_FLIGHT} in flight, each answered after its commit; every device created before the clock starts; a fresh server per round; written bytes: /proc wchar of the server (WAL, checkpoints, answers)`;
  return o.fleets.slice(1).flatMap((d) => [
    {
      id: `spread-rate-${d}`,
      name: `ingest spread over ${d.toLocaleString('en-US')} devices: messages/s`,
      value: med(of(d, (x) => x.rate)),
      unit: 'msg/s',
      runs: of(d, (x) => x.rate),
      baseline: { name: `${base} devices, same run`, value: med(of(base, (x) => x.rate)), runs: of(base, (x) => x.rate) },
      ratio: med(of(d, (x) => x.rate)) / med(of(base, (x) => x.rate)),
      notes: note,
    },
    {
      id: `spread-written-${d}`,
      name: `ingest spread over ${d.toLocaleString('en-US')} devices: bytes written per message`,
      value: med(of(d, (x) => x.bytesPerMsg)),
      unit: 'B',
      runs: of(d, (x) => x.bytesPerMsg),
      baseline: { name: `${base} devices, same run`, value: med(of(base, (x) => x.bytesPerMsg)), runs: of(base, (x) => x.bytesPerMsg) },
      notes: `server CPU per message ${med(of(d, (x) => x.cpuUsPerMsg)).toFixed(1)} us (${base} devices: ${med(of(base, (x) => x.cpuUsPerMsg)).toFixed(1)} us)`,
    },
  ]);
}
