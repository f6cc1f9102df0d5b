/**
 * The few builders the API's schemas need beyond TypeBox's own, each keeping the JSON Schema the
 * OpenAPI document has always shown (type lists for null, plain enums, `Name#` references) while
 * giving the TypeScript type of what it describes.
 */
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A value or null: a type list (["string","null"]) for a plain value, anyOf for an object or array
 * (the forms the document has always used).
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const { type, enum: values, ...rest } = schema as TSchema & { type?: string | string[]; enum?: unknown[] };
  if (type === undefined || type === 'object' || type === 'array') return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: 'null' }] });
  const types = Array.isArray(type) ? type : [type];
  return Type.Unsafe<Static<T> | null>({
    ...rest,
    type: types.includes('null') ? types : [...types, 'null'],
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
