import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextChunks } from '../../src/import/text-chunks.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { importStream } from '../../src/import/importer.js';
import { ImportError } from '../../src/import/column-map.js';

/** Bytes Buffer.concat copies while fn runs: the work a long line costs, counted rather than timed. */
function copiedBy(fn: () => void): number {
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const out = concat(list, total);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  try {
    fn();
  } finally {
    Buffer.concat = concat;
  }
  return copied;
}

test('a long line arriving in many chunks is copied a bounded number of times (linear, not once per chunk)', () => {
  const chunk = Buffer.alloc(1024, 'a');
  const chunks = 512;
  const text = new TextChunks();
  let out = '';
  const copied = copiedBy(() => {
    for (let i = 0; i < chunks; i++) assert.equal(text.take(chunk), null);
    assert.equal(text.held, chunks * chunk.length);
    const t = text.take(Buffer.from('\nnext'));
    assert.ok(t !== null);
    out = t;
    text.used(t, t.length);
  });
  assert.equal(out.length, chunks * chunk.length + 1);
  assert.equal(text.held, 4);
  assert.equal(text.rest(), 'next');
  const input = chunks * chunk.length + 5;
  assert.ok(copied <= 2 * input, `${copied} bytes copied for ${input} bytes of input`);
});

test('text chunks: lines split anywhere, multi-byte characters across chunks, partly used text kept', () => {
  const whole = Buffer.from('ä1\nβ22\n€333\nrest');
  for (let cut = 1; cut < whole.length; cut++) {
    const text = new TextChunks();
    let got = '';
    for (const part of [whole.subarray(0, cut), whole.subarray(cut)]) {
      const t = text.take(part);
      if (t === null) continue;
      // Use only the first complete line each time: the rest comes back with the next chunk.
      const first = t.indexOf('\n') + 1;
      got += t.slice(0, first);
      text.used(t, first);
    }
    got += text.rest();
    assert.equal(got, whole.toString(), `cut at ${cut}`);
  }
});

test('import: a long line under the limit is stored; one over it stops the import naming its line and the rule', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const pad = 'x'.repeat(200_000);
  const long = `{"ts":1735689600000,"v":1,"status":"${pad}"}`;
  const body = Buffer.from(`{"ts":1735689599000,"v":0}\n${long}\n`);
  const pieces = Array.from({ length: Math.ceil(body.length / 4096) }, (_, i) => body.subarray(i * 4096, (i + 1) * 4096));
  const ok = await importStream(store, pieces, { format: 'ndjson', device: 'long-1', maxLineBytes: 256 * 1024 });
  assert.deepEqual([ok.rowsRead, ok.readingsStored], [2, 2]);

  const over = Buffer.from(`{"ts":1735689599000,"v":0}\n{"ts":1735689598000,"v":0}\n${pad}${pad}\n`);
  const chunks = Array.from({ length: Math.ceil(over.length / 4096) }, (_, i) => over.subarray(i * 4096, (i + 1) * 4096));
  await assert.rejects(importStream(store, chunks, { format: 'ndjson', device: 'long-2', maxLineBytes: 256 * 1024 }), (e: Error) => {
    assert.ok(e instanceof ImportError, String(e));
    assert.match(e.message, /^line 3 is longer than 262144 bytes/);
    assert.deepEqual([e.field, e.rule], ['line', 'max_length']);
    return true;
  });
  const csv = Buffer.from(`ts,v\n2025-01-01T00:00:00Z,1\n2025-01-01T00:00:01Z,"${pad}${pad}"\n`);
  await assert.rejects(
    importStream(store, [csv.subarray(0, 100), csv.subarray(100, 300_000), csv.subarray(300_000)], {
      format: 'csv',
      device: 'long-3',
      maxLineBytes: 256 * 1024,
    }),
    (e: Error) => e instanceof ImportError && /^line 3 is longer than/.test(e.message),
  );
});
