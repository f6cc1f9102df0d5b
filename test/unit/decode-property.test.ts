import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage } from '../../src/pipeline/decode.js';
import { validateMessage } from '../../src/pipeline/validate.js';
import type { Profile } from '../../src/model/device.js';

const profile: Profile = { name: 'p', metrics: { v: { min: 0, max: 32 }, a: { min: -3.2, max: 3.2 } }, unknownMetrics: 'reject', outOfRange: 'reject' };
const ctx = { source: 'mqtt' as const, device: 'dev-1', receivedAt: Date.UTC(2025, 0, 1), maxBytes: 4096 };

function checkRejection(r: { field: string; rule: string; message: string }) {
  assert.equal(typeof r.field, 'string');
  assert.ok(r.field.length > 0, 'field named');
  assert.ok(/^[a-z_]+$/.test(r.rule), `rule is machine-readable: ${r.rule}`);
  assert.ok(r.message.length > 0, 'message given');
}

function judge(payload: Buffer | string | unknown) {
  const d = decodeMessage(payload, ctx);
  if (!d.ok) return checkRejection(d.rejection);
  const v = validateMessage(d.message, profile);
  for (const r of [...v.rejections, ...v.flags]) checkRejection(r);
  // Whatever survives is inside the profile.
  for (const [k, n] of Object.entries(v.message?.values ?? {})) {
    assert.ok(Number.isFinite(n));
    const spec = profile.metrics[k];
    assert.ok(spec && n >= spec.min! && n <= spec.max!, `${k}=${n} kept`);
  }
}

test('any bytes in: never a throw, every rejection names field, rule and message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => judge(Buffer.from(bytes))),
    { numRuns: 3000 },
  );
});

test('any JSON value in (as text and as parsed): never a throw, rejections complete', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  fc.assert(
    fc.property(json, (v) => {
      judge(JSON.stringify(v) ?? 'null');
      judge(v);
    }),
    { numRuns: 2000 },
  );
});

test('device-like objects with odd values: never a throw', () => {
  const value = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(1e308 * 10));
  const obj = fc.record({ v: value, a: value, seq: value, ts: value, x: value, profile: value }, { requiredKeys: [] });
  fc.assert(
    fc.property(obj, (o) => judge(o)),
    { numRuns: 3000 },
  );
});
