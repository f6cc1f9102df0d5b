import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PredictionLog } from '../../src/models/prediction-log.js';
import { tempDir } from '../helpers/app.js';

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

test('the prediction log appends every line in order, lines given during a write included, after what the file held', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const path = join(d.dir, 'predictions.ndjson');
  writeFileSync(path, '{"n":-1}\n');
  const log = new PredictionLog(path, 1 << 20, (err) => assert.fail(err));
  for (let i = 0; i < 50; i++) {
    log.append(`{"n":${i}}\n`);
    if (i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await log.flush();
  assert.deepEqual(lines(path), ['{"n":-1}', ...Array.from({ length: 50 }, (_, i) => `{"n":${i}}`)]);
  await log.close();
});

test('past its size the prediction log starts a new file and keeps one older one; a failed write is reported and the next lines still go out', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const path = join(d.dir, 'predictions.ndjson');
  const errors: string[] = [];
  const line = (i: number) => `{"n":${String(i).padStart(3, '0')}}\n`; // 10 bytes
  const log = new PredictionLog(path, 35, (err) => errors.push(err.message));
  for (let i = 0; i < 10; i++) {
    log.append(line(i));
    await log.flush();
  }
  // 10 lines of 10 bytes, 3 to a file: the last file and the one before it are kept.
  assert.deepEqual(lines(path), ['{"n":009}']);
  assert.deepEqual(lines(`${path}.1`), ['{"n":006}', '{"n":007}', '{"n":008}']);
  await log.close();

  // The directory gone: the write fails and says so; back again, the next line is written.
  const log2 = new PredictionLog(join(d.dir, 'gone', 'p.ndjson'), 1 << 20, (err) => errors.push(err.message));
  log2.append(line(1));
  await log2.flush();
  assert.equal(errors.length, 1);
  assert.match(errors[0], /ENOENT/);
  rmSync(join(d.dir, 'gone'), { recursive: true, force: true });
  mkdirSync(join(d.dir, 'gone'));
  log2.append(line(2));
  await log2.flush();
  assert.deepEqual(lines(join(d.dir, 'gone', 'p.ndjson')), ['{"n":002}']);
  await log2.close();
});
