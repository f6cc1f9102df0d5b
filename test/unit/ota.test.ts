import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../src/api/firmware.js';

test('Range headers: one range, open ends, suffixes, and what cannot be satisfied', () => {
  assert.equal(parseRange(undefined, 100), null);
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=90-500', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'bad');
  assert.equal(parseRange('bytes=9-3', 100), 'bad');
  assert.equal(parseRange('bytes=-0', 100), 'bad');
  assert.equal(parseRange('bytes=0-1,5-6', 100), 'bad');
  assert.equal(parseRange('items=0-1', 100), 'bad');
});
