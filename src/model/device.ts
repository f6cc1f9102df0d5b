import type { Static } from '@sinclair/typebox';
import type {
  CommandSpecSchema,
  DeviceSchema,
  LatestValueSchema,
  LocalTextSchema,
  MetricSpecSchema,
  ProfileSchema,
  RulePackEntrySchema,
} from './schemas/common.js';

// The shapes are declared once, as the API's schemas (schemas/common.ts); these are their types.
export type LatestValue = Static<typeof LatestValueSchema>;
/** A device as the API shows it. Times are epoch ms (UTC). */
export type DeviceInfo = Static<typeof DeviceSchema>;
export type MetricSpec = Static<typeof MetricSpecSchema>;
/** A rule of a profile's pack: a rule for every device of the profile, with a key stable across releases. */
export type RulePackEntry = Static<typeof RulePackEntrySchema>;
/** Text in each of the dashboard's languages; a plain string serves all. */
export type LocalText = Static<typeof LocalTextSchema>;
export type Profile = Static<typeof ProfileSchema>;
export type CommandSpec = Static<typeof CommandSpecSchema>;

/** The label of an enum metric's value in a language (English when the language has none). */
export function labelOf(spec: MetricSpec | undefined, value: number, lang: 'en' | 'ko' = 'en'): string | undefined {
  const l = spec?.labels?.[String(value)];
  if (l === undefined) return undefined;
  return typeof l === 'string' ? l : lang === 'ko' ? (l.ko ?? l.en) : l.en;
}
