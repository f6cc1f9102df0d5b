/**
 * The few builders the API's schemas need beyond TypeBox's own, each written in the OpenAPI 3.0
 * form the document is served in (`nullable: true` for null, plain enums, `Name#` references) while
 * giving the TypeScript type of what it describes. Ajv (validation) and fast-json-stringify
 * (answers) both read `nullable` beside a `type`.
 */
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A value or null, in OpenAPI 3.0's form: the schema's own `type` with `nullable: true` (an enum
 * lists null too: Ajv and OpenAPI 3.0.3 both want it there). A schema without a `type` (a reference,
 * a union) cannot carry `nullable`, so it becomes anyOf with a null member, which the document
 * generator writes as 3.0's null schema.
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const { type, enum: values } = schema as TSchema & { type?: unknown; enum?: unknown[] };
  if (typeof type !== 'string') return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: 'null' }] });
  return Type.Unsafe<Static<T> | null>({
    ...schema,
    nullable: true,
    ...(values ? { enum: values.includes(null) ? values : [...values, null] } : {}),
  });
}

/** One of some strings, as a plain JSON Schema enum. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A reference to a schema registered by its $id (the OpenAPI document lists it once, under components). */
export function Ref<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnsafe<Static<T>> {
  if (!schema.$id) throw new Error('Ref: the schema has no $id to refer to');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#`, ...options });
}

/** An object of any keys whose values all have one schema (JSON Schema additionalProperties). */
export function Dict<T extends TSchema>(values: T, options: SchemaOptions = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values, ...options });
}

/** An object whose fields are not described here (passed through as sent). */
export function AnyObject(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, ...options });
}

/** Ids of devices, equipment and models: what MQTT topics and URLs carry safely. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
/** Names of profiles, metrics' commands and the like. */
export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.\\-]{0,63}$';
