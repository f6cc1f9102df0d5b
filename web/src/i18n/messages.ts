/**
 * The shape a translation must have: every key of the English catalogue, each a string. Plural
 * forms are the exception (i18next suffixes `_one`, `_other`, ...; Korean has only `_other`), so a
 * namespace with plurals types its Korean side with `PluralMessages` and the catalogue test checks
 * the categories each language needs (test/unit/web-i18n.test.ts).
 */
export type Messages<T> = { [K in keyof T]: T[K] extends string ? string : Messages<T[K]> };

type PluralSuffix = '_zero' | '_one' | '_two' | '_few' | '_many' | '_other';
type StripPlural<K> = K extends `${infer B}${PluralSuffix}` ? `${B}_other` : K;
export type PluralMessages<T> = { [K in keyof T as StripPlural<K>]: T[K] extends string ? string : PluralMessages<T[K]> };
