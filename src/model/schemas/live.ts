/**
 * The frames of the live WebSocket (/api/v1/live), declared once: the server sends them, the
 * dashboard's live client reads them (types in model/live.ts), and the OpenAPI document lists them
 * under components (LiveServerMessage, LiveClientMessage), since OpenAPI has no words for a socket.
 */
import { Type } from '@sinclair/typebox';
import { ALARM_EVENT_TYPES, SEVERITIES } from '../alarm.js';
import { AlarmSchema, LiveStatsSchema } from './alarms.js';
import { Dict, Nullable, Ref, StringEnum } from './kit.js';

const num = Type.Number();
/** The frame's kind: one value, as a plain enum (OpenAPI 3.0 has no const). */
const kind = <const T extends string>(name: T) => StringEnum([name] as const);
const Devices = Type.Union([Type.Array(Type.String()), StringEnum(['*'])], { description: 'device ids, or "*" for every device' });

export const LiveClientMessageSchema = Type.Union(
  [
    Type.Object({ op: StringEnum(['subscribe']), devices: Devices }),
    Type.Object({ op: StringEnum(['unsubscribe']), devices: Devices }),
    Type.Object({ op: StringEnum(['ping']) }),
  ],
  { $id: 'LiveClientMessage', description: 'What a client sends on /api/v1/live (JSON text frames)' },
);

/** One device message, as committed (ts: epoch ms with a fraction for µs, or whole µs with ?tsUnit=us). */
export const LiveReadingsSchema = Type.Object({
  type: kind('readings'),
  device: Type.String(),
  ts: num,
  seq: Nullable(Type.Integer()),
  values: Dict(num),
});

export const LiveDeviceStateSchema = Type.Object({
  type: kind('device'),
  device: Type.String(),
  online: Type.Boolean(),
  lastSeen: num,
  profile: Nullable(Type.String()),
  created: Type.Optional(Type.Boolean({ description: 'true when the server saw this device for the first time' })),
});

export const LiveHelloSchema = Type.Object({
  type: kind('hello'),
  version: Type.String(),
  time: num,
  frames: Type.Optional(
    StringEnum(['single', 'batch'], {
      description: "how this connection's messages come: batch when opened with ?frames=batch (absent from servers before it)",
    }),
  ),
});
export const LivePongSchema = Type.Object({ type: kind('pong'), time: num });

export const LiveErrorSchema = Type.Object({
  type: kind('error'),
  error: Type.String(),
  field: Type.Optional(Type.String()),
  rule: Type.Optional(Type.String()),
});

/** Live analytics of one device (at most one per second per device); ts is that of its newest reading. */
export const LiveStatsFrameSchema = Type.Object({ ...LiveStatsSchema.properties, type: kind('stats'), ts: num });

/** An alarm changed state. */
export const LiveAlarmSchema = Type.Object({ type: kind('alarm'), event: StringEnum(ALARM_EVENT_TYPES), alarm: Ref(AlarmSchema) });

/** A notification for the dashboard's toasts (the websocket notification channel). */
export const LiveToastSchema = Type.Object({
  type: kind('toast'),
  severity: StringEnum(SEVERITIES),
  title: Type.String(),
  notices: Type.Array(Type.Object({ event: Type.String(), at: num, text: Type.String(), alarm: Nullable(Ref(AlarmSchema)) })),
});

const singleMessages = [
  LiveReadingsSchema,
  LiveDeviceStateSchema,
  LiveHelloSchema,
  LiveErrorSchema,
  LiveStatsFrameSchema,
  LiveAlarmSchema,
  LiveToastSchema,
  LivePongSchema,
];

/**
 * Every message of one server turn, in the order they happened (?frames=batch on the upgrade): a
 * commit's readings and the device, stats and alarm messages around them.
 */
export const LiveBatchSchema = Type.Object({ type: kind('batch'), messages: Type.Array(Type.Union(singleMessages)) });

export const LiveServerMessageSchema = Type.Union([...singleMessages, LiveBatchSchema], {
  $id: 'LiveServerMessage',
  description: 'What the server sends on /api/v1/live (JSON text frames), told apart by type',
});
