/** Retention and bulk import as the API shows them; the shapes are declared once in schemas/retention.ts. */
import type { Static } from '@sinclair/typebox';
import type {
  DeviceRetentionSchema,
  ImportCheckpointSchema,
  ImportRetentionNoteSchema,
  ImportSummarySchema,
  RejectedLineSchema,
  RetentionHoldSchema,
  RetentionOverviewSchema,
  RetentionSourceSchema,
} from './schemas/retention.js';

/**
 * The longest raw retention anyone may set, hours (100 years): beyond it a typo, not a policy. One
 * bound for the config file, profile files, the profile schema, PUT /devices/{id}/retention and the
 * limit GET /retention states, so none of them can accept what another refuses.
 */
export const MAX_RETENTION_HOURS = 876_000;

/** Where a device's raw retention comes from: set for the device (API or config), its profile, or the global default. */
export type RetentionSource = Static<typeof RetentionSourceSchema>;
/** A time range of one device that retention never deletes (imported history). Times in the readings' unit. */
export type RetentionHold = Static<typeof RetentionHoldSchema>;
/** The retention that applies to one device, and why (GET /devices/{id}/retention). */
export type DeviceRetention = Static<typeof DeviceRetentionSchema>;
export type RetentionOverview = Static<typeof RetentionOverviewSchema>;
export type ImportRetentionNote = Static<typeof ImportRetentionNoteSchema>;
export type RejectedLine = Static<typeof RejectedLineSchema>;
/** What a bulk import did (POST /import, `fieldscope import`). */
export type ImportSummary = Static<typeof ImportSummarySchema>;
/** Where the import of one file stands (GET /import/checkpoints/{key}): the store's checkpoint and the size its key names. */
export type ImportCheckpointView = Static<typeof ImportCheckpointSchema>;
