// Fieldscope as its own process (from source), for suites that kill -9 it or need its child processes.
import { spawn, type ChildProcess } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;

/** Starts `fieldscope start` on free ports with `dataDir` and `extra` flags; resolves with the URLs it prints. */
export function startServerProcess(dataDir: string, extra: string[] = []): Promise<{ child: ChildProcess; http: string; mqtt: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'start', '--http-port', '0', '--mqtt-port', '0', '--data', dataDir, '--no-simulator', ...extra],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`fieldscope exited (${code}) before it was ready: ${err}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      const http = /Dashboard\s+(http:\/\/\S+?)\/?\s/.exec(out);
      const m = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
      if (http && m) resolve({ child, http: http[1], mqtt: m[1] });
    });
  });
}
