/**
 * The schemas are JSON Schema draft 7 for Ajv, which validates requests with them; the document is
 * OpenAPI 3.0, whose Schema Object is an older dialect. @fastify/swagger already turns null types
 * into `nullable`; the two draft-7 keywords the API uses beyond that are rewritten here, for the
 * document only (validation keeps the draft-7 meaning):
 * - `exclusiveMinimum: n` (a number) is 3.0's `minimum: n, exclusiveMinimum: true` (likewise maximum);
 * - `propertyNames` has no 3.0 counterpart: it is kept as the extension `x-propertyNames`, so a
 *   reader still sees the rule on the keys.
 */
export function toOpenapi30Schemas<T>(doc: T): T {
  // A copy: the generator may share schema objects with the routes that Ajv compiled.
  const copy = structuredClone(doc);
  walk(copy);
  return copy;
}

function walk(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof o[bound] !== 'number') continue;
    o[limit] = o[bound];
    o[bound] = true;
  }
  if ('propertyNames' in o && typeof o.propertyNames === 'object') {
    o['x-propertyNames'] = o.propertyNames;
    delete o.propertyNames;
  }
  for (const v of Object.values(o)) walk(v);
}
