/** Retention as it applies to each device, held ranges and the bulk import's summary, declared once (types in model/retention.ts). */
import { Type } from '@sinclair/typebox';
import { Nullable, Ref, StringEnum } from './kit.js';

/** Where a device's raw retention comes from: set for the device (API or config), its profile, or the global default. */
export const RETENTION_SOURCES = ['device', 'device-config', 'profile', 'default'] as const;
export const RetentionSourceSchema = StringEnum(RETENTION_SOURCES, { description: 'where that comes from' });

/** A time range of one device that retention never deletes (imported history). */
export const RetentionHoldSchema = Type.Object({
  device: Type.String(),
  from: Type.Number({ description: 'epoch ms' }),
  to: Type.Number({ description: 'epoch ms' }),
  reason: Type.String({ description: 'why, e.g. "import g1_sensor1.csv"; one hold per (device, reason), widened as more rows come' }),
  createdAt: Type.Number(),
});

export const DeviceRetentionSchema = Type.Object(
  {
    device: Type.String(),
    profile: Nullable(Type.String()),
    rawRetentionHours: Type.Number({ description: 'raw readings of the device are kept this long' }),
    source: RetentionSourceSchema,
    description: Type.String(),
    rawCutoff: Type.Number({ description: 'epoch ms: raw readings before this go at the next pass, outside holds' }),
    minuteRollupDays: Type.Number(),
    hourRollupDays: Type.Number(),
    override: Nullable(Type.Number({ description: 'hours set for this device through the API (null: none)' })),
    holds: Type.Array(RetentionHoldSchema, { description: 'ranges never deleted (imported history)' }),
  },
  { $id: 'DeviceRetention' },
);

export const RetentionOverviewSchema = Type.Object({
  default: Type.Object({ rawRetentionHours: Type.Number(), minuteRollupDays: Type.Number(), hourRollupDays: Type.Number() }),
  devices: Type.Array(Ref(DeviceRetentionSchema)),
  limits: Type.Object(
    { maxRawRetentionHours: Type.Number({ description: 'the most hours PUT /devices/{id}/retention accepts (above 0)' }) },
    { description: "the API's own bounds, so a form states and checks them without a copy" },
  ),
});

/** An import's word on one device's raw retention: what applies, and whether the import is exempt from it. */
export const ImportRetentionNoteSchema = Type.Object({
  device: Type.String(),
  profile: Nullable(Type.String()),
  rawRetentionHours: Type.Number(),
  source: RetentionSourceSchema,
  retention: Type.String({ description: 'in words: "48 h (default)"' }),
  cutoff: Type.Number({ description: 'epoch ms: readings before it are past the retention today' }),
  olderReadings: Type.Integer({ description: 'readings of this import older than the cutoff' }),
  exempt: Type.Boolean({ description: 'true: kept whatever their age (the default); false: applyRetention=true' }),
  heldFrom: Type.Optional(Type.Number({ description: 'the range held for this device by this import (epoch ms)' })),
  heldTo: Type.Optional(Type.Number()),
});

export const RejectedLineSchema = Type.Object({ line: Type.Integer(), field: Type.String(), rule: Type.String(), error: Type.String() });

export const ImportSummarySchema = Type.Object(
  {
    rowsRead: Type.Integer(),
    readingsStored: Type.Integer(),
    duplicates: Type.Integer({ description: 'readings not stored because one of the same identity exists: alreadyStored + sameTimeInFile' }),
    alreadyStored: Type.Integer({ description: 'readings the store already held (same device, metric and time to the µs, and seq)' }),
    sameTimeInFile: Type.Integer({
      description: "readings of rows repeating an earlier row's device and time (to the µs) within this upload; the first is kept",
    }),
    rejected: Type.Integer({ description: 'rows with anything refused (their accepted readings are still stored)' }),
    rejectedLines: Type.Array(RejectedLineSchema, { description: 'the first 1000 refused rows' }),
    seconds: Type.Number(),
    resumedFromLine: Type.Optional(Type.Integer({ description: 'where this run picked up a crashed import of the same file (counts are this run’s)' })),
    ignoredColumns: Type.Optional(Type.Array(Type.String())),
    retention: Type.Array(ImportRetentionNoteSchema, {
      description: 'per device: the raw retention that applies, and whether this import is exempt from it (its range held)',
    }),
    warnings: Type.Array(Type.String(), { description: 'devices with rows older than their raw retention, found before writing them' }),
    droppedByRetention: Type.Integer({ description: 'readings left out because applyRetention=true and they were past it' }),
  },
  { $id: 'ImportSummary' },
);

export const IMPORT_FORMATS = ['csv', 'ndjson'] as const;
/** sha256 of a file's first 64 KiB (or all of it, if smaller) and its size in bytes: the same file has the same key, whatever its name or who sends it. */
export const IMPORT_KEY_PATTERN = '^sha256:[0-9a-f]{64}:[0-9]{1,15}$';

export const ImportQuery = Type.Object({
  format: Type.Optional(StringEnum(IMPORT_FORMATS, { description: 'default: from the content type' })),
  device: Type.Optional(Type.String({ maxLength: 128, description: 'every row belongs to this device' })),
  map: Type.Optional(Type.String({ maxLength: 4096, description: 'column=metric overrides, comma-separated' })),
  start: Type.Optional(Type.String({ description: 'the time column holds seconds since this time (ISO-8601 or epoch ms)' })),
  applyRetention: Type.Optional(
    Type.Boolean({
      description: "leave out readings already older than their device's raw retention (default false: imported history is kept, exempt from raw retention)",
    }),
  ),
  key: Type.Optional(
    Type.String({
      pattern: IMPORT_KEY_PATTERN,
      description:
        "the file's identity, sha256:<hex of its first 64 KiB>:<size> (as the CLI's): each commit then records a checkpoint under it (GET /api/v1/import/checkpoints/{key}), and an interrupted upload can be continued with resumeAt",
    }),
  ),
  resumeAt: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "continue the import of `key` from its checkpoint: the byte offset the checkpoint gives. The body is then the file's head (its first 64 KiB, or all of it if smaller: checked against the key) followed by the file's bytes from that offset to the end",
    }),
  ),
});

export const ImportCheckpointSchema = Type.Object(
  {
    key: Type.String(),
    offset: Type.Integer({ description: 'bytes of the file committed: an upload continues from here (resumeAt)' }),
    line: Type.Integer({ description: 'the line the import continues at' }),
    stored: Type.Integer({ description: 'readings stored by the import up to its previous commit' }),
    duplicates: Type.Integer(),
    rejected: Type.Integer(),
    done: Type.Boolean({ description: 'true: the whole file was imported (importing it again adds nothing)' }),
    size: Type.Integer({ description: 'the file size the key names' }),
  },
  { $id: 'ImportCheckpoint', description: 'Where an import of one file stands, as of its last commit' },
);
