// The API's declared shapes say "or null" the OpenAPI 3.0 way (nullable: true beside one type),
// never with a type list, and Ajv validates that form as the routes rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { Type } from '@sinclair/typebox';
import { allSchemas } from '../../src/api/schemas.js';
import { Nullable, StringEnum } from '../../src/model/schemas/kit.js';

function typeLists(value: unknown, at: string, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => typeLists(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'type' && Array.isArray(v)) out.push(`${at}: type ${JSON.stringify(v)}`);
      else if (k === 'type' && v === 'null' && !at.endsWith(']')) out.push(`${at}: type "null" outside a union`);
      else typeLists(v, `${at}.${k}`, out);
    }
  }
  return out;
}

test('declared schemas: no type lists', () => {
  const found = allSchemas.flatMap((s) => typeLists(s, String((s as { $id?: string }).$id)));
  assert.deepEqual(found, []);
});

test('Nullable: one type with nullable: true, null in an enum, anyOf only for a schema without a type', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(Nullable(Type.String({ maxLength: 3 })))), { type: 'string', maxLength: 3, nullable: true });
  assert.deepEqual(JSON.parse(JSON.stringify(Nullable(StringEnum(['a', 'b'])))), { type: 'string', enum: ['a', 'b', null], nullable: true });
  const obj = Nullable(Type.Object({ a: Type.Number() }));
  assert.equal((obj as { type?: unknown }).type, 'object');
  assert.equal((obj as { nullable?: unknown }).nullable, true);
  const ref = Nullable(Type.Unsafe({ $ref: 'Device#' }));
  assert.deepEqual(JSON.parse(JSON.stringify(ref)), { anyOf: [{ $ref: 'Device#' }, { type: 'null' }] });

  // Fastify validates with Ajv 8, which reads `nullable` beside `type`.
  const ajv = new Ajv({ strict: true });
  const str = ajv.compile(Nullable(Type.String({ maxLength: 3 })));
  assert.equal(str(null), true);
  assert.equal(str('abc'), true);
  assert.equal(str('abcd'), false);
  assert.equal(str(4), false);
  const en = ajv.compile(Nullable(StringEnum(['a', 'b'])));
  assert.equal(en(null), true);
  assert.equal(en('a'), true);
  assert.equal(en('c'), false);
  const o = ajv.compile(Nullable(Type.Object({ a: Type.Number() }, { required: ['a'] })));
  assert.equal(o(null), true);
  assert.equal(o({ a: 1 }), true);
  assert.equal(o({}), false);
});
