/** Messages on the live WebSocket (/api/v1/live). Shared by the server and the dashboard. */
import type { Static } from '@sinclair/typebox';
import type { Alarm, AlarmEventType, Severity } from './alarm.js';
import type { LiveStatsSchema, MetricStatsSchema } from './schemas/alarms.js';

export type LiveClientMessage = { op: 'subscribe'; devices: string[] | '*' } | { op: 'unsubscribe'; devices: string[] | '*' } | { op: 'ping' };

export interface LiveReadings {
  type: 'readings';
  device: string;
  ts: number;
  seq: number | null;
  values: Record<string, number>;
}

export interface LiveDeviceState {
  type: 'device';
  device: string;
  online: boolean;
  lastSeen: number;
  profile: string | null;
  /** true when the server saw this device for the first time. */
  created?: boolean;
}

export interface LiveHello {
  type: 'hello';
  version: string;
  time: number;
  /** How this connection's messages come: 'batch' when opened with ?frames=batch (absent from servers before it). */
  frames?: 'single' | 'batch';
}

/**
 * Every message of one server turn, in the order they happened (?frames=batch on the upgrade):
 * a commit's readings and the device, stats and alarm messages around them.
 */
export interface LiveBatch {
  type: 'batch';
  messages: LiveServerMessage[];
}

export interface LiveError {
  type: 'error';
  error: string;
  field?: string;
  rule?: string;
}

/** One metric's live analytics (analytics/live-stats.ts). */
export type MetricStats = Static<typeof MetricStatsSchema>;

/** Live analytics of one device as GET /devices/{id}/stats/live answers it (ts null: no reading yet). */
export type DeviceLiveStats = Static<typeof LiveStatsSchema>;

/** Live analytics of one device on the WebSocket (at most one per second per device). See analytics/live-stats.ts. */
export type LiveStats = Omit<DeviceLiveStats, 'ts'> & { type: 'stats'; ts: number };

/** An alarm changed state (raised, acked, cleared, auto_cleared). */
export interface LiveAlarm {
  type: 'alarm';
  event: AlarmEventType;
  alarm: Alarm;
}

/** A notification for the dashboard's toasts (the websocket notification channel). */
export interface LiveToast {
  type: 'toast';
  severity: Severity;
  title: string;
  notices: { event: string; at: number; text: string; alarm: Alarm | null }[];
}

export type LiveServerMessage =
  LiveBatch | LiveReadings | LiveDeviceState | LiveHello | LiveError | LiveStats | LiveAlarm | LiveToast | { type: 'pong'; time: number };
