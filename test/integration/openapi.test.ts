// The OpenAPI document is complete and holds together: every shape a route takes or answers is
// declared (once, in src/model/schemas) and every reference points at a component that exists. The
// live WebSocket's frames are components too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/app.js';
import { openapi30Problems } from '../helpers/openapi30.js';

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** Every $ref anywhere in the document. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** Routes whose answer is not JSON of a declared shape: the WebSocket upgrade (its frames are components). */
const NOT_JSON = new Set(['get /api/v1/live']);

test('OpenAPI: every route declares what it answers and every reference resolves', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const doc = (await (await fetch(`${app.httpUrl}/docs/json`)).json()) as Doc;
  assert.match(doc.openapi, /^3\./);

  const names = new Set(Object.keys(doc.components.schemas));
  const dangling = [...new Set(refsIn(doc))].filter((r) => !(r.startsWith('#/components/schemas/') && names.has(r.slice('#/components/schemas/'.length))));
  assert.deepEqual(dangling, [], 'references to components that do not exist');

  const undeclared: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (NOT_JSON.has(`${method} ${path}`)) continue;
      const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
      const declared = ok.some(([code, r]) => code === '204' || Object.values(r.content ?? {}).some((c) => c.schema !== undefined));
      if (!declared) undeclared.push(`${method.toUpperCase()} ${path}`);
    }
  }
  assert.deepEqual(undeclared, [], 'routes without a declared success answer');

  // The shapes the dashboard and clients rely on are listed by name.
  for (const name of ['LiveServerMessage', 'LiveClientMessage', 'Health', 'Telemetry', 'TelemetryBuckets', 'ImportSummary', 'Bundle', 'Manifest', 'Prediction'])
    assert.ok(names.has(name), `component ${name}`);
});

test('OpenAPI: the served document is OpenAPI 3.0 (no type lists, nullable for null, no later JSON Schema keywords)', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const doc = (await (await fetch(`${app.httpUrl}/docs/json`)).json()) as Doc;
  const problems = openapi30Problems(doc);
  assert.deepEqual(problems.slice(0, 40), [], `${problems.length} problems with the document as OpenAPI 3.0`);
  // The form the API uses for a value that may be null, seen in a component the dashboard reads.
  const device = doc.components.schemas.Device as { properties: Record<string, Record<string, unknown>> };
  assert.equal(device.properties.profile?.type, 'string');
  assert.equal(device.properties.profile?.nullable, true);
});
