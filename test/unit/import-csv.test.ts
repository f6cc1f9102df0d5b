import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvParser, CsvParseError } from '../../src/import/csv-reader.js';
import { parseColumnMap, planColumns, rowDevice, ImportError } from '../../src/import/column-map.js';
import { importStream } from '../../src/import/importer.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { ProfileRegistry } from '../../src/profiles/profiles.js';

function parseAll(text: string, chunkSize = Infinity): { fields: string[]; line: number }[] {
  const p = new CsvParser();
  const out: { fields: string[]; line: number }[] = [];
  const onRecord = (fields: string[], line: number) => out.push({ fields: [...fields], line });
  let carry = '';
  for (let i = 0; i < text.length; i += Math.min(chunkSize, text.length)) {
    const t = carry + text.slice(i, i + Math.min(chunkSize, text.length));
    carry = t.slice(p.parse(t, false, onRecord));
  }
  p.parse(carry, true, onRecord);
  return out;
}

test('csv: plain, quoted, doubled quotes, delimiters and newlines inside quotes, CRLF, blank lines', () => {
  const text = 'a,b,c\r\n1,"x, y",3\n\n"he said ""hi""",,"multi\nline"\n4,5,6';
  const expected = [
    { fields: ['a', 'b', 'c'], line: 1 },
    { fields: ['1', 'x, y', '3'], line: 2 },
    { fields: ['he said "hi"', '', 'multi\nline'], line: 4 },
    { fields: ['4', '5', '6'], line: 6 },
  ];
  assert.deepEqual(parseAll(text), expected);
  // Any chunking gives the same records and line numbers.
  for (const size of [1, 2, 3, 5, 7, 11]) assert.deepEqual(parseAll(text, size), expected, `chunk size ${size}`);
});

test('csv: an unterminated quote is an error naming its line, only once the input is final', () => {
  const p = new CsvParser();
  const got: string[][] = [];
  const text = 'a,b\n1,"open\n';
  assert.equal(
    p.parse(text, false, (f) => got.push([...f])),
    4,
    'waits at the quoted record',
  );
  assert.throws(
    () => p.parse(text.slice(4), true, () => {}),
    (e: unknown) => e instanceof CsvParseError && e.line === 2,
  );
});

test('column map: MES vibration shape -> vibration metrics, device from machine and sensor', () => {
  const header = ['Time', 'Normal', 'Type 1', 'Type 2', 'Type 3', 'machine', 'sensor'];
  const plan = planColumns(header, ['0.001', '1', '2', '3', '4', 'g1', 'sensor1'], {});
  assert.deepEqual(
    plan.metrics.map((m) => m.metric),
    ['normal', 'unbalance', 'looseness', 'unbalance_looseness'],
  );
  assert.equal(plan.profile, 'vibration');
  assert.equal(rowDevice(plan, ['0', '1', '2', '3', '4', 'g1', 'sensor1']), 'g1-sensor1');
  assert.deepEqual(planColumns(header, undefined, { device: 'rig-7' }).device, { fixed: 'rig-7' });
});

test('column map: generic wide CSV, text columns ignored, --map overrides, file name as device', () => {
  const plan = planColumns(['timestamp', 'Temp C', 'status', 'rpm'], ['2025-01-01T00:00:00Z', '21.5', 'ok', '1500'], {
    fileName: 'press_4.csv',
    map: parseColumnMap('rpm=speed'),
  });
  assert.deepEqual(
    plan.metrics.map((m) => m.metric),
    ['temp_c', 'speed'],
  );
  assert.deepEqual(plan.ignored, ['status']);
  assert.deepEqual(plan.device, { fixed: 'press_4' });
  assert.throws(
    () => planColumns(['a', 'b'], ['1', '2'], { device: 'd' }),
    (e: unknown) => e instanceof ImportError && e.rule === 'time_column',
  );
  assert.throws(
    () => planColumns(['ts', 'b'], ['1', '2'], { device: 'd', map: { nope: 'x' } }),
    (e: unknown) => e instanceof ImportError && e.rule === 'column',
  );
  assert.throws(() => parseColumnMap('a=1bad'), ImportError);
  assert.throws(
    () => planColumns(['ts', 'b'], ['1', '2'], {}),
    (e: unknown) => e instanceof ImportError && e.rule === 'required',
  );
});

test('import: bad rows are listed with line numbers and rules, good rows beside them are stored', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const csv = [
    'Time,Normal,Type 1,Type 2,Type 3,machine,sensor',
    '0.000,1,2,3,4,g1,sensor1',
    '0.001,abc,2,3,4,g1,sensor1', // line 3: not a number
    '0.002,1,2,3,99,g1,sensor1', // line 4: out of the vibration profile's range; the other three are kept
    ',1,2,3,4,g1,sensor1', // line 5: no time
    '0.003,1,2,3,4,g1,"bad id!"', // line 6: device id
    '0.004,1,2,3,4,g1,sensor1',
  ].join('\n');
  const s = await importStream(store, [Buffer.from(csv)], { format: 'csv', start: Date.UTC(2025, 0, 1), profiles: ProfileRegistry.load(null) });
  assert.equal(s.rowsRead, 6);
  assert.equal(s.rejected, 4);
  assert.deepEqual(
    s.rejectedLines.map((r) => [r.line, r.field, r.rule]),
    [
      [3, 'Normal', 'number'],
      [4, 'unbalance_looseness', 'range'],
      [5, 'Time', 'required'],
      [6, 'device_id', 'device_id'],
    ],
  );
  assert.equal(s.readingsStored, 4 + 3 + 4);
  const series = await store.telemetry.queryRange({ device: 'g1-sensor1', from: 0, to: Date.UTC(2026, 0, 1), limit: 100 });
  assert.deepEqual(series.normal.ts, [Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 1) + 2, Date.UTC(2025, 0, 1) + 4]);
  assert.equal((await store.telemetry.listDevices()).find((d) => d.id === 'g1-sensor1')?.profile, 'vibration');
  const dead = await store.telemetry.listRejected({ limit: 10 });
  assert.equal(dead.length, 4);
  assert.ok(dead.every((d) => d.source === 'import' && /^line \d+: /.test(d.error)));
});

test('import: relative Time without --start is refused up front with the reason', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  await assert.rejects(
    importStream(store, [Buffer.from('Time,Normal,Type 1,Type 2,Type 3\n0.0,1,2,3,4\n')], { format: 'csv', device: 'rig' }),
    (e: unknown) => e instanceof ImportError && e.rule === 'relative_time',
  );
});

test('import: NDJSON lines decoded as live messages, with line numbers for bad ones', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const nd = '{"ts":1735689600000,"v":1}\n\nnot json\n{"ts":1735689601000,"v":"x"}\n{"ts":1735689602000,"v":3,"a":4}\n';
  const s = await importStream(store, [nd.slice(0, 10), nd.slice(10)], { format: 'ndjson', device: 'meter-1' });
  assert.equal(s.rowsRead, 4);
  assert.equal(s.readingsStored, 3);
  assert.deepEqual(
    s.rejectedLines.map((r) => [r.line, r.field, r.rule]),
    [
      [3, 'payload', 'json'],
      [4, 'v', 'number'],
    ],
  );
});
