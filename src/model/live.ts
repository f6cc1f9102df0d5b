/** Messages on the live WebSocket (/api/v1/live). Shared by the server and the dashboard; declared once in schemas/live.ts. */
import type { Static } from '@sinclair/typebox';
import type { LiveStatsSchema, MetricStatsSchema } from './schemas/alarms.js';
import type {
  LiveAlarmSchema,
  LiveBatchSchema,
  LiveClientMessageSchema,
  LiveDeviceStateSchema,
  LiveErrorSchema,
  LiveHelloSchema,
  LiveReadingsSchema,
  LiveServerMessageSchema,
  LiveStatsFrameSchema,
  LiveToastSchema,
} from './schemas/live.js';

export type LiveClientMessage = Static<typeof LiveClientMessageSchema>;

export type LiveReadings = Static<typeof LiveReadingsSchema>;

export type LiveDeviceState = Static<typeof LiveDeviceStateSchema>;

export type LiveHello = Static<typeof LiveHelloSchema>;

/** Every message of one server turn, in order (?frames=batch). */
export type LiveBatch = Static<typeof LiveBatchSchema>;

export type LiveError = Static<typeof LiveErrorSchema>;

/** One metric's live analytics (analytics/live-stats.ts). */
export type MetricStats = Static<typeof MetricStatsSchema>;

/** Live analytics of one device as GET /devices/{id}/stats/live answers it (ts null: no reading yet). */
export type DeviceLiveStats = Static<typeof LiveStatsSchema>;

/** Live analytics of one device on the WebSocket (at most one per second per device). See analytics/live-stats.ts. */
export type LiveStats = Static<typeof LiveStatsFrameSchema>;

/** An alarm changed state (raised, acked, cleared, auto_cleared). */
export type LiveAlarm = Static<typeof LiveAlarmSchema>;

/** A notification for the dashboard's toasts (the websocket notification channel). */
export type LiveToast = Static<typeof LiveToastSchema>;

export type LiveServerMessage = Static<typeof LiveServerMessageSchema>;
