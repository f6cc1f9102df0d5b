/** Equipment, commands, firmware, rollouts and completeness as the API shows them (types in model/device-admin.ts, model/sequence.ts). */
import { Type } from '@sinclair/typebox';
import { COMMAND_STATUSES } from '../device-admin.js';
import { AnyObject, ID_PATTERN, NAME_PATTERN, Nullable, Ref, StringEnum } from './kit.js';

const num = Type.Number();

/** A machine, pump, battery rack...: many sensors (devices) belong to one piece of equipment. */
export const EquipmentSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    location: Nullable(Type.String()),
    description: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    createdAt: num,
    updatedAt: num,
    devices: Type.Array(Type.String(), { description: 'ids of the sensors (devices) that belong to it' }),
  },
  { $id: 'Equipment' },
);

export const DeviceCommandSchema = Type.Object(
  {
    id: Type.String(),
    device: Type.String(),
    name: Type.String(),
    params: AnyObject(),
    status: StringEnum(COMMAND_STATUSES),
    /** How it was (last) sent; null while no transport reaches the device. */
    transport: Nullable(StringEnum(['mqtt', 'serial'])),
    /** Times it was sent (the first send and the retries). */
    attempts: Type.Integer(),
    createdAt: num,
    updatedAt: num,
    deliveredAt: Nullable(num),
    /** When it reached acked, failed or timed_out. */
    finishedAt: Nullable(num),
    /** Why it failed (the device's reason) or timed out. */
    reason: Nullable(Type.String()),
  },
  { $id: 'DeviceCommand' },
);

export const FirmwareSchema = Type.Object(
  {
    id: Type.String(),
    version: Type.String(),
    /** Original file name, as told by the uploader. */
    name: Nullable(Type.String()),
    size: Type.Integer(),
    /** Lower-case hex. */
    sha256: Type.String(),
    notes: Nullable(Type.String()),
    createdAt: num,
  },
  { $id: 'Firmware' },
);

/** `devices`: a list named in the request (value: the ids joined by commas); its concurrency applies across the list. */
export const ROLLOUT_TARGET_KINDS = ['device', 'profile', 'equipment', 'devices'] as const;

export const RolloutSchema = Type.Object(
  {
    id: Type.String(),
    firmware: Type.String(),
    version: Type.String(),
    target: Type.Object({ kind: StringEnum(ROLLOUT_TARGET_KINDS), value: Type.String() }),
    /** Devices updating at the same time, at most. */
    concurrency: Type.Integer(),
    status: StringEnum(['running', 'done', 'cancelled']),
    createdAt: num,
    updatedAt: num,
  },
  { $id: 'Rollout' },
);

export const OTA_STATUSES = ['queued', 'sent', 'downloading', 'verifying', 'success', 'failed'] as const;

/** One device's part in a rollout. */
export const OtaJobSchema = Type.Object(
  {
    rollout: Type.String(),
    device: Type.String(),
    firmware: Type.String(),
    version: Type.String(),
    status: StringEnum(OTA_STATUSES),
    /** 0..1 of the image downloaded. */
    progress: num,
    reason: Nullable(Type.String()),
    commandId: Nullable(Type.String()),
    startedAt: Nullable(num),
    finishedAt: Nullable(num),
    updatedAt: num,
  },
  { $id: 'OtaJob' },
);

/** A rollout with its devices' jobs (POST /firmware/{id}/rollouts, GET /rollouts/{id}). */
export const RolloutWithJobsSchema = Type.Object({ rollout: Ref(RolloutSchema), jobs: Type.Array(Ref(OtaJobSchema)) });

/** POST /firmware/{id}/rollouts: the rollout started, and how many of the target's devices it left out. */
export const RolloutCreatedSchema = Type.Object({
  rollout: Ref(RolloutSchema),
  jobs: Type.Array(Ref(OtaJobSchema)),
  leftOut: Type.Integer({
    minimum: 0,
    description:
      'devices of the profile or equipment the server has never heard from, left out of the rollout (a device named by id is refused instead: known_device)',
  }),
});

export const CompletenessSchema = Type.Object({
  device: Type.String(),
  from: num,
  to: num,
  expected: Type.Integer({ description: 'messages the device sent in the window, by its seq: received + missing' }),
  received: Type.Integer(),
  missing: Type.Integer({ description: 'seqs in open gaps that touch the window' }),
  duplicates: Type.Integer({ description: 'copies dropped before storage' }),
  outOfOrder: Type.Integer({ description: 'late messages that filled a gap' }),
  restarts: Type.Integer({ description: 'seq went back to the start' }),
  ratio: Type.Number({ description: 'received / expected (1 when nothing was expected)' }),
  missingRanges: Type.Array(Type.Object({ fromSeq: Type.Integer(), toSeq: Type.Integer(), fromTs: num, toTs: num })),
});

const equipmentFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  location: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  description: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
};
/** POST /equipment. */
export const EquipmentCreateSchema = Type.Object({ id: Type.String({ pattern: ID_PATTERN }), ...equipmentFields }, { additionalProperties: false });
/** PUT /equipment/{id}: every field (those left out are cleared). */
export const EquipmentInputSchema = Type.Object(equipmentFields, { additionalProperties: false });
/** PATCH /equipment/{id}: some fields. */
export const EquipmentPatchSchema = Type.Partial(EquipmentInputSchema, { additionalProperties: false });

/** POST /devices/{id}/commands. */
export const CommandInputSchema = Type.Object(
  { name: Type.String({ pattern: NAME_PATTERN }), params: Type.Optional(AnyObject()) },
  {
    additionalProperties: false,
    examples: [{ name: 'set_interval', params: { ms: 500 } }, { name: 'set_threshold', params: { metric: 'v', low: 4.5, high: 5.5 } }, { name: 'reboot' }],
  },
);

/** Devices one rollout may name in a list (a fleet of thousands, in one request of a few hundred kB). */
export const ROLLOUT_MAX_DEVICES = 10_000;

/**
 * POST /firmware/{id}/rollouts: one target (a device, a list of devices, a profile's devices or an
 * equipment's sensors), N at a time across all of its devices.
 */
export const RolloutInputSchema = Type.Object(
  {
    device: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    devices: Type.Optional(Type.Array(Type.String({ pattern: ID_PATTERN }), { minItems: 1, maxItems: ROLLOUT_MAX_DEVICES, uniqueItems: true })),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    equipment: Type.Optional(Type.String({ maxLength: 128 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
  },
  {
    oneOf: [{ required: ['device'] }, { required: ['devices'] }, { required: ['profile'] }, { required: ['equipment'] }],
    additionalProperties: false,
    examples: [
      { profile: 'battery', concurrency: 5 },
      { devices: ['rack-01', 'rack-02', 'rack-03'], concurrency: 2 },
    ],
  },
);
