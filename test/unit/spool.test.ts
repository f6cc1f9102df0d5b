import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Spool, SpoolFullError } from '../../src/pipeline/spool.js';
import { tempDir } from '../helpers/app.js';
import type { Message } from '../../src/model/reading.js';

const msg = (seq: number): Message => ({ device: 'd1', seq, ts: 1_700_000_000_000 + seq, values: { x: seq }, source: 'http', receivedAt: 1 });

test('records come back in order across a reopen; a torn tail is dropped', (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const path = join(d.dir, 'spool', 'spool.log');
  const s = new Spool(path, { maxBytes: 1 << 20 });
  s.open();
  const gen = s.generation;
  for (let i = 1; i <= 3; i++) s.append({ messages: [msg(i)], rejected: [] });
  s.close();
  appendFileSync(path, '{"messages":[{"dev'); // a crash in the middle of an append
  const r = new Spool(path, { maxBytes: 1 << 20 });
  r.open();
  assert.equal(r.generation, gen);
  assert.equal(r.pending, 3);
  const seen: number[] = [];
  for (let n = r.peek(); n; n = r.peek()) {
    seen.push(n.record.messages[0].seq!);
    r.shift();
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(r.pending, 0);
  assert.notEqual(r.generation, gen, 'an emptied spool starts a new generation');
  assert.ok(statSync(path).size < 100, 'the file is truncated once drained');
  r.close();
});

test('skipThrough drops what an interrupted replay already stored; the bound is enforced', (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const s = new Spool(join(d.dir, 'spool.log'), { maxBytes: 600 });
  s.open();
  s.append({ messages: [msg(1)], rejected: [] });
  const first = s.peek()!;
  s.append({ messages: [msg(2)], rejected: [] });
  s.skipThrough(first.end);
  assert.equal(s.pending, 1);
  assert.equal(s.peek()!.record.messages[0].seq, 2);
  assert.throws(() => {
    for (let i = 0; i < 100; i++) s.append({ messages: [msg(i)], rejected: [] });
  }, SpoolFullError);
  s.close();
});
