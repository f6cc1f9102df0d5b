// Shared state across nodes on one PostgreSQL (docs/scale-out.md, "Shared state"):
//  - how long a rule written on node A takes to act on node B (the change feed: NOTIFY at commit,
//    LISTEN, one read back), beside the write itself on A;
//  - how long the run-once jobs take to move after their holder is killed with SIGKILL (the lease:
//    a session advisory lock, tried once a second as the app does).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RuleInput } from '../src/model/alarm.js';
import { AdvisoryLease } from '../src/cluster/leader.js';
import { silentLogger } from '../src/logger.js';
import { startTestApp } from '../test/helpers/app.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { median } from './lib/procs.js';
import type { Figure } from './lib/report.js';

const until = async (fn: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!fn()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
};

export async function benchSharedState(opts: { changes: number; failovers: number }): Promise<Figure[]> {
  const pg = await startPostgres({ durable: true });
  try {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, rulePacks: false });
    const b = await startTestApp({ store: url, rulePacks: false });
    const onB: number[] = [];
    const onA: number[] = [];
    try {
      for (let i = 0; i < opts.changes; i++) {
        const input = { name: `r${i}`, severity: 'minor', scope: 'device', target: `d${i}`, kind: 'threshold', metric: 'v', op: '>', value: i } as RuleInput;
        const t0 = performance.now();
        const rule = await a.alarms.engine.createRule(input);
        onA.push(performance.now() - t0);
        await until(() => b.alarms.engine.listRules().some((r) => r.id === rule.id), 'the rule on B');
        onB.push(performance.now() - t0);
      }
    } finally {
      await b.stop();
      await a.stop();
    }

    const fixture = fileURLToPath(new URL('../test/fixtures/lease-holder.ts', import.meta.url));
    const moves: number[] = [];
    for (let i = 0; i < opts.failovers; i++) {
      const name = `bench-${i}`;
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, name], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const here = new AdvisoryLease({ url, name, logger: silentLogger() });
      try {
        await until(() => out.includes('started'), 'the holder process');
        if (!out.includes('leading')) throw new Error('the holder process did not take the lease');
        await here.start();
        if (here.leading) throw new Error('two holders');
        const t0 = performance.now();
        child.kill('SIGKILL');
        await until(() => here.leading, 'the lease to move');
        moves.push(performance.now() - t0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await here.stop();
      }
    }
    return [
      {
        id: 'shared-state-change',
        name: 'rule written on node A acts on node B',
        value: median(onB),
        unit: 'ms',
        runs: onB,
        baseline: { name: 'the write on node A', value: median(onA), runs: onA },
        target: '< 1000 ms (issue 19)',
        met: Math.max(...onB) < 1000,
        notes: `${opts.changes} rules, one after another; max ${Math.round(Math.max(...onB))} ms`,
      },
      {
        id: 'shared-state-failover',
        name: 'run-once jobs move after kill -9 of their node',
        value: median(moves),
        unit: 'ms',
        runs: moves,
        notes: `${opts.failovers} kills; lease tried every 1000 ms`,
      },
    ];
  } finally {
    await pg.destroy();
  }
}
