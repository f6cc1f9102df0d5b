/** Device metadata, equipment, commands and firmware as the API shows them. Times are epoch ms (UTC). */

/** What people say about a device (the registry knows what the device says about itself). */
export interface DeviceMeta {
  id: string;
  name: string | null;
  location: string | null;
  tags: string[];
  /** Id of the equipment this sensor belongs to. */
  equipment: string | null;
  notes: string | null;
  updatedAt: number;
}

/** A machine, pump, battery rack...: many sensors (devices) belong to one piece of equipment. */
export interface Equipment {
  id: string;
  name: string;
  location: string | null;
  description: string | null;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

export type CommandStatus = 'pending' | 'delivered' | 'acked' | 'failed' | 'timed_out';
export const COMMAND_STATUSES: readonly CommandStatus[] = ['pending', 'delivered', 'acked', 'failed', 'timed_out'];
export type CommandTransportKind = 'mqtt' | 'serial';

export interface DeviceCommand {
  id: string;
  device: string;
  name: string;
  params: Record<string, unknown>;
  status: CommandStatus;
  /** How it was (last) sent; null while no transport reaches the device. */
  transport: CommandTransportKind | null;
  /** Times it was sent (the first send and the retries). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  /** When it reached acked, failed or timed_out. */
  finishedAt: number | null;
  /** Why it failed (the device's reason) or timed out. */
  reason: string | null;
}

export interface Firmware {
  id: string;
  version: string;
  /** Original file name, as told by the uploader. */
  name: string | null;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  notes: string | null;
  createdAt: number;
}

export type RolloutTargetKind = 'device' | 'profile' | 'equipment';

export interface Rollout {
  id: string;
  firmware: string;
  version: string;
  target: { kind: RolloutTargetKind; value: string };
  /** Devices updating at the same time, at most. */
  concurrency: number;
  status: 'running' | 'done' | 'cancelled';
  createdAt: number;
  updatedAt: number;
}

export type OtaStatus = 'queued' | 'sent' | 'downloading' | 'verifying' | 'success' | 'failed';
export const OTA_FINAL: readonly OtaStatus[] = ['success', 'failed'];

/** One device's part in a rollout. */
export interface OtaJob {
  rollout: string;
  device: string;
  firmware: string;
  version: string;
  status: OtaStatus;
  /** 0..1 of the image downloaded. */
  progress: number;
  reason: string | null;
  commandId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** What goes to the device: the same three fields on every transport. */
export interface CommandEnvelope {
  id: string;
  name: string;
  params: Record<string, unknown>;
}

/** A way to reach devices: MQTT for any device, a serial link for the one on its cable. */
export interface CommandTransport {
  readonly kind: CommandTransportKind;
  reaches(device: string): boolean;
  /** Resolves once the command is handed to the link (written to the port, published to the broker). */
  send(device: string, cmd: CommandEnvelope): Promise<void>;
}

/** A device's answer, from `devices/{id}/commands/ack` or a serial `ack_cmd` line. */
export interface CommandReply {
  id: string;
  status: 'acked' | 'failed';
  reason?: string;
}
