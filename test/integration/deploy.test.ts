// Running as a service: the systemd unit is checked by systemd's own tools; the Docker and compose
// files, which cannot be built or run here (no Docker), are checked for what can be checked
// without Docker: every file they name exists, every setting they pass is one Fieldscope reads,
// and no secret has a default. docs/operations.md says what is and is not verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { requireServices } from '../helpers/services.js';
import { tempDir } from '../helpers/app.js';
import { defaults } from '../../src/config.js';

const run = promisify(execFile);
const unitPath = resolve('deploy/systemd/fieldscope.service');
const systemd = requireServices('systemd unit', 'systemd-analyze', 'systemd-sysusers');
const INSTALLED = '/usr/local/bin/fieldscope';

/** systemd-analyze verify exits 0 even on a bad value; what it prints about the unit is the verdict. */
async function verify(path: string): Promise<string> {
  const r = await run('systemd-analyze', ['verify', path]).catch((err: { stdout: string; stderr: string }) => err);
  return (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l.includes(path))
    .join('\n');
}

test(
  'systemd unit: systemd-analyze verify finds nothing, the security exposure is low, the dedicated user is created by sysusers',
  { skip: systemd.skip },
  async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    let text = readFileSync(unitPath, 'utf8');
    // verify checks that ExecStart exists: without the package installed, point it at this checkout's own bin.
    if (!existsSync(INSTALLED)) {
      process.stderr.write(`\n(systemd unit: ${INSTALLED} is not installed here; verifying with ExecStart=${resolve('bin/fieldscope.js')} instead)\n`);
      text = text.replace(`ExecStart=${INSTALLED} `, `ExecStart=${resolve('bin/fieldscope.js')} `);
    }
    assert.match(text, /^ExecStart=\/\S+ start$/m);
    const unit = join(d.dir, 'fieldscope.service');
    writeFileSync(unit, text);
    assert.equal(await verify(unit), '', 'systemd-analyze verify: no complaint');

    const keys = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) keys.set(m[1], [...(keys.get(m[1]) ?? []), m[2]]);
    }
    const one = (k: string) => keys.get(k)?.[0];
    assert.equal(one('User'), 'fieldscope');
    assert.equal(one('StateDirectory'), 'fieldscope', 'state in /var/lib/fieldscope');
    assert.equal(one('WorkingDirectory'), '/var/lib/fieldscope');
    assert.ok(keys.get('Environment')!.includes('FIELDSCOPE_DATA=/var/lib/fieldscope'));
    assert.equal(one('Restart'), 'on-failure');
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
    ])
      assert.equal(one(k), v, `${k}=${v}`);
    assert.equal(one('MemoryDenyWriteExecute'), undefined, "Node's JIT needs W+X pages");

    const sec = await run('systemd-analyze', ['security', '--offline=yes', unit]);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(sec.stdout + sec.stderr)?.[1]);
    assert.ok(exposure > 0 && exposure < 3, `exposure ${exposure} (systemd calls < 3 "OK" or better)`);

    // The same check catches a broken unit.
    const bad = join(d.dir, 'bad.service');
    writeFileSync(bad, text.replace('Restart=on-failure', 'Restart=sometimes').replace('ProtectSystem=strict', 'ProtectSystem=mostly'));
    assert.match(await verify(bad), /restart specifier.*sometimes[\s\S]*protect system value.*mostly/);

    // The dedicated user, as systemd-sysusers creates it (in a scratch root, not on this machine).
    const root = join(d.dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    await run('systemd-sysusers', [`--root=${root}`, resolve('deploy/systemd/fieldscope.sysusers')]);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    assert.match(passwd, /^fieldscope:x:\d+:\d+:[^:]*:\/var\/lib\/fieldscope:\/usr\/sbin\/nologin$/m);
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^dialout:x:\d+:fieldscope$/m);
  },
);

/** Every FIELDSCOPE_* name the code reads (config options, secrets read from env). */
function knownEnv(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/FIELDSCOPE_[A-Z0-9_]+/g)) names.add(m[0]);
    }
  };
  walk(resolve('src'));
  return names;
}

test('Docker and compose files: what they name exists, what they set Fieldscope reads, secrets have no defaults', () => {
  const dockerDir = resolve('deploy/docker');
  const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
  const compose = YAML.parse(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8')) as {
    services: Record<
      string,
      { build?: { context: string; dockerfile: string }; image?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[] }
    >;
  };
  const known = knownEnv();
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };

  // Dockerfile: what the runtime stage copies is in the repo or a build output the package ships.
  for (const m of dockerfile.matchAll(/^COPY --from=build \/src\/(\S+) /gm)) {
    const p = m[1];
    assert.ok(
      existsSync(p) || pkg.files.includes(p) || p === 'node_modules',
      `Dockerfile copies ${p}, which is neither in the repo nor a shipped build output`,
    );
  }
  assert.match(dockerfile, /^USER fieldscope$/m, 'not root');
  assert.ok(existsSync(/ENTRYPOINT \["node", "\/opt\/fieldscope\/(\S+)"\]/.exec(dockerfile)![1]));
  const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1].split(' ').map(Number);
  assert.deepEqual(exposed, [defaults.httpPort, defaults.mqttPort]);
  for (const m of dockerfile.matchAll(/(FIELDSCOPE_[A-Z0-9_]+)=/g)) assert.ok(known.has(m[1]), `Dockerfile sets ${m[1]}, which Fieldscope does not read`);

  // compose: build context and Dockerfile, bind mounts, env names, secrets.
  const fs = compose.services.fieldscope;
  assert.ok(existsSync(join(dockerDir, fs.build!.context, fs.build!.dockerfile)));
  const operatorMade = new Set(['./mosquitto/passwd']);
  for (const [name, svc] of Object.entries(compose.services)) {
    if (svc.image) assert.match(svc.image, /:[\w.-]+$/, `${name}: image pinned to a tag`);
    for (const v of svc.volumes ?? []) {
      const src = v.split(':')[0];
      if (!src.startsWith('.')) continue;
      if (operatorMade.has(src)) continue;
      assert.ok(existsSync(join(dockerDir, src)), `${name} mounts ${src}, which does not exist`);
    }
    for (const [k, val] of Object.entries(svc.environment ?? {})) {
      if (name === 'fieldscope' && k.startsWith('FIELDSCOPE_')) assert.ok(known.has(k), `fieldscope gets ${k}, which it does not read`);
      if (/PASSWORD/.test(k)) assert.match(String(val), /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name}.${k}: a secret comes from .env and has no default`);
    }
  }
  // Grafana gets every variable its provisioning files use.
  const grafanaEnv = compose.services.grafana.environment!;
  for (const f of ['deploy/grafana/provisioning/datasources/postgres.yml', 'deploy/grafana/provisioning/dashboards/fieldscope.yml']) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)) assert.ok(m[1] in grafanaEnv, `${f} needs ${m[1]} in the grafana service`);
  }
  // The env example lists every variable compose requires, with no value.
  const example = readFileSync(join(dockerDir, 'env.example'), 'utf8');
  for (const m of readFileSync(join(dockerDir, 'compose.yaml'), 'utf8').matchAll(/\$\{([A-Z_]+):\?/g)) assert.match(example, new RegExp(`^${m[1]}=$`, 'm'));
  assert.ok((statSync(join(dockerDir, 'postgres-init/10-grafana-role.sh')).mode & 0o111) !== 0, 'the init script is executable');
});
