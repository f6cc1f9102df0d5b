/** Messages on the live WebSocket (/api/v1/live). Shared by the server and the dashboard. */

export type LiveClientMessage =
  | { op: 'subscribe'; devices: string[] | '*' }
  | { op: 'unsubscribe'; devices: string[] | '*' }
  | { op: 'ping' };

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
}

export interface LiveError {
  type: 'error';
  error: string;
  field?: string;
  rule?: string;
}

export type LiveServerMessage = LiveReadings | LiveDeviceState | LiveHello | LiveError | { type: 'pong'; time: number };
