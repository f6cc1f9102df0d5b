// Arrows one way: reads every import under src/ and fails on one that points from a lower floor to a
// higher one. Data flows sources -> pipeline -> stores, followers hear the commit path, the API
// reads all of it, and only the wiring (app.ts, cli.ts) sees everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** The room a file lives in: its first folder under src/, or its own name for a top-level file. */
const roomOf = (file: string) => relative(src, file).split('/')[0].replace(/\.ts$/, '');

/** Rooms each room must never import. */
const HIGHER = ['pipeline', 'sources', 'import', 'analytics', 'alarms', 'notify', 'devices', 'auth', 'jobs', 'sim', 'api', 'app', 'cli'];
const forbidden: Record<string, string[]> = {
  model: ['stores', ...HIGHER, 'config', 'metrics', 'logger'],
  stores: HIGHER,
  pipeline: ['sources', 'import', 'alarms', 'notify', 'devices', 'auth', 'jobs', 'sim', 'api', 'app', 'cli'],
  analytics: ['pipeline', 'sources', 'import', 'alarms', 'notify', 'devices', 'auth', 'jobs', 'sim', 'api', 'app', 'cli'],
  // Transports hand bytes to the pipeline; who may connect and what a device is are handed in.
  sources: ['auth', 'devices', 'alarms', 'notify', 'import', 'jobs', 'sim', 'api', 'app', 'cli'],
  devices: ['sources', 'api', 'app', 'cli'],
  auth: ['sources', 'devices', 'api', 'app', 'cli'],
  alarms: ['sources', 'api', 'app', 'cli'],
  notify: ['sources', 'api', 'app', 'cli'],
  import: ['sources', 'api', 'app', 'cli'],
  jobs: ['api', 'app', 'cli'],
  sim: ['api', 'app', 'cli'],
};
/** Only the wiring and the API itself import the API. */
const mayImportApi = new Set(['api', 'app', 'cli']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a file, resolved to files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** [importer, imported] for every relative import between files under src/. */
function edgesOf(files: string[]): [string, string][] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((t) => t.startsWith(src + '/'))
      .map((t): [string, string] => [file, t]),
  );
}

function violations(edges: [string, string][]): string[] {
  const found: string[] = [];
  for (const [file, target] of edges) {
    const from = roomOf(file);
    const to = roomOf(target);
    if (to === from) continue;
    const where = `${relative(src, file)} -> ${relative(src, target)}`;
    if (to === 'api' && !mayImportApi.has(from)) found.push(`${where}: only the wiring imports api/`);
    else if (forbidden[from]?.includes(to)) found.push(`${where}: ${from}/ must not import ${to}/`);
  }
  return found;
}

test('dependencies: no import under src/ points from a lower floor to a higher one', () => {
  const files = tsFiles(src);
  assert.ok(files.length > 50, 'the source tree was found');
  assert.deepEqual(violations(edgesOf(files)), []);
});

test('dependencies: the check catches a store importing the pipeline, a room importing the API, a source importing auth', () => {
  const edge = (from: string, to: string): [string, string] => [join(src, from), join(src, to)];
  const bad = [
    edge('stores/x.ts', 'pipeline/batcher.ts'),
    edge('devices/x.ts', 'api/server.ts'),
    edge('sources/x.ts', 'auth/setup.ts'),
    edge('stores/x.ts', 'api/errors.ts'),
  ];
  assert.equal(violations(bad).length, bad.length);
  assert.deepEqual(violations([edge('app.ts', 'api/server.ts'), edge('pipeline/x.ts', 'stores/store.ts'), edge('api/x.ts', 'stores/store.ts')]), []);
});

const web = resolve(src, '../web/src');

/**
 * What the dashboard takes from src/: types from anywhere under src/model (the API's shapes,
 * declared once as schemas), values only from src/model's own top-level files (constants such as
 * SEVERITIES), which import nothing at run time, so no server code or schema library is bundled.
 */
function webViolations(): string[] {
  const found: string[] = [];
  const files = tsFiles(web).concat(
    readdirSync(web, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.tsx'))
      .map((f) => join(web, f)),
  );
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?\b([^'"]*?)from\s*['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[4].replace(/\.js$/, '.ts'));
      if (!target.startsWith(src + '/')) continue;
      const where = `${relative(web, file)} -> src/${relative(src, target)}`;
      if (!target.startsWith(join(src, 'model') + '/')) found.push(`${where}: the dashboard takes only src/model`);
      else if (!m[2] && /[{,]\s*(?!type\s)\w/.test(m[3]) && dirname(target) !== join(src, 'model')) found.push(`${where}: only types from src/model/schemas`);
    }
  }
  // The model's top-level files the dashboard may take values from import nothing at run time.
  for (const file of readdirSync(join(src, 'model')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(src, 'model', file), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*import\s+(?!type\b)[^'"]*?from\s*['"]([^'"]+)['"]/g)) found.push(`src/model/${file} imports ${m[1]} at run time`);
  }
  return found;
}

test('dependencies: the dashboard imports only types from src/model (and constants from its top-level files)', () => {
  assert.deepEqual(webViolations(), []);
});
