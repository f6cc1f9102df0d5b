import type { FormErrors } from './form.js';

/**
 * What the browser can check of a device list and of a device's tags before sending, under the
 * rule names the API's schema gives them (src/model/schemas: ID_PATTERN, ROLLOUT_MAX_DEVICES in
 * fleet.ts; MetaBody in src/api/devices.ts), so a list refused here reads as one refused there.
 */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MAX_DEVICES = 10_000;
const MAX_TAGS = 64;
const MAX_TAG = 64;

/** "a, b  c" -> ["a", "b", "c"]: commas or white space between ids. */
export const splitDevices = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

export function deviceListErrors(devices: string[]): FormErrors['fields'] {
  if (!devices.length) return { devices: { rule: 'required' } };
  if (devices.length > MAX_DEVICES) return { devices: { rule: 'maxItems' } };
  const bad = devices.find((d) => !DEVICE_ID.test(d));
  if (bad) return { devices: { rule: 'pattern', message: bad } };
  const seen = new Set<string>();
  for (const d of devices) {
    if (seen.has(d)) return { devices: { rule: 'uniqueItems', message: d } };
    seen.add(d);
  }
  return {};
}

/** "line-2, critical" -> ["line-2", "critical"]: tags are separated by commas (a tag may hold spaces). */
export const splitTags = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The tags input holds them all, so a refusal of any of them is the field's. */
export function tagErrors(tags: string[]): FormErrors['fields'] {
  if (tags.length > MAX_TAGS) return { tags: { rule: 'maxItems' } };
  if (tags.some((x) => x.length > MAX_TAG)) return { tags: { rule: 'maxLength' } };
  return {};
}

/** A refusal at one item of a list field ("devices.3", "tags.0") is shown at the list's input. */
export function atListInput(e: FormErrors, field: string): FormErrors {
  const item = new RegExp(`^${field}\\.\\d+$`);
  return { ...e, fields: Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [item.test(k) ? field : k, v])) };
}
