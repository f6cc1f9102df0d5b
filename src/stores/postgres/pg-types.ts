import { OID } from './telemetry-tables.js';

/** Epoch-ms bigints fit a double exactly; counts too. Parse them as numbers, not strings (every connection of the store, read workers' too). */
export const numericBigints = {
  bigint: { to: OID.int8, from: [OID.int8], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
};
