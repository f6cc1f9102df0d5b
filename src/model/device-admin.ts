/** Device metadata, equipment, commands and firmware as the API shows them. Times are epoch ms (UTC). */
import type { Static } from '@sinclair/typebox';
import type { DeviceCommandSchema, EquipmentSchema, FirmwareSchema, OtaJobSchema, RolloutSchema } from './schemas/fleet.js';

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

/** Equipment as the API shows it, with the ids of its sensors. */
export type EquipmentView = Static<typeof EquipmentSchema>;
/** A machine, pump, battery rack...: many sensors (devices) belong to one piece of equipment. */
export type Equipment = Omit<EquipmentView, 'devices'>;

export type CommandStatus = 'pending' | 'delivered' | 'acked' | 'failed' | 'timed_out';
export const COMMAND_STATUSES: readonly CommandStatus[] = ['pending', 'delivered', 'acked', 'failed', 'timed_out'];
export type CommandTransportKind = 'mqtt' | 'serial';

export type DeviceCommand = Static<typeof DeviceCommandSchema>;

export type Firmware = Static<typeof FirmwareSchema>;

export type RolloutTargetKind = 'device' | 'profile' | 'equipment' | 'devices';

export type Rollout = Static<typeof RolloutSchema>;

export type OtaStatus = 'queued' | 'sent' | 'downloading' | 'verifying' | 'success' | 'failed';
export const OTA_FINAL: readonly OtaStatus[] = ['success', 'failed'];

/** One device's part in a rollout. */
export type OtaJob = Static<typeof OtaJobSchema>;

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
