import type { Api } from '../api.js';
import type { NotificationRecord, Rule, RuleInput } from '../../../src/model/alarm.js';
import type { Profile } from '../../../src/model/device.js';

export type { Rule, RuleInput };

/** What POST /rules/{id}/backtest answers (schema BacktestResult). */
export interface BacktestResult {
  ruleId: string;
  from: number;
  to: number;
  devices: string[];
  readings: number;
  messages: number;
  truncated: boolean;
  alarms: {
    device: string;
    raisedAt: number;
    clearedAt: number | null;
    count: number;
    firstValue: number | null;
    lastValue: number | null;
    lastAt: number;
    message: string;
  }[];
}

export type CommandStatus = 'pending' | 'delivered' | 'acked' | 'failed' | 'timed_out';

/** A command as GET/POST /devices/{id}/commands answer it (schema DeviceCommand). */
export interface DeviceCommand {
  id: string;
  device: string;
  name: string;
  params: Record<string, unknown>;
  status: CommandStatus;
  transport: 'mqtt' | 'serial' | null;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  finishedAt: number | null;
  reason: string | null;
}

/** A configured notification channel as GET /notifications lists it. */
export interface Channel {
  name: string;
  type: string;
  policy: Record<string, unknown>;
}

export type { NotificationRecord };

const enc = encodeURIComponent;

/** The REST routes of the operator screens, on top of the dashboard's Api (same credentials, same errors). */
export class TaskApi {
  constructor(private readonly api: Api) {}

  async listRules(): Promise<Rule[]> {
    return (await this.api.send<{ rules: Rule[] }>('GET', '/api/v1/rules')).rules;
  }
  createRule(r: RuleInput): Promise<Rule> {
    return this.api.send('POST', '/api/v1/rules', r);
  }
  updateRule(id: string, r: RuleInput): Promise<Rule> {
    return this.api.send('PUT', `/api/v1/rules/${enc(id)}`, r);
  }
  deleteRule(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/v1/rules/${enc(id)}`);
  }
  backtest(id: string, from: number, to: number): Promise<BacktestResult> {
    return this.api.send('POST', `/api/v1/rules/${enc(id)}/backtest?from=${Math.floor(from)}&to=${Math.ceil(to)}`);
  }
  /** The same backtest for a rule not saved: checked as a create is, nothing stored (ruleId "unsaved"). */
  backtestUnsaved(r: RuleInput, from: number, to: number): Promise<BacktestResult> {
    return this.api.send('POST', `/api/v1/rules/backtest?from=${Math.floor(from)}&to=${Math.ceil(to)}`, r);
  }

  async listCommands(device: string, limit = 50): Promise<DeviceCommand[]> {
    return (await this.api.send<{ commands: DeviceCommand[] }>('GET', `/api/v1/devices/${enc(device)}/commands?limit=${limit}`)).commands;
  }
  sendCommand(device: string, name: string, params: Record<string, unknown>): Promise<DeviceCommand> {
    return this.api.send('POST', `/api/v1/devices/${enc(device)}/commands`, { name, params });
  }

  notifications(channel?: string, limit = 20): Promise<{ channels: Channel[]; notifications: NotificationRecord[] }> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (channel) q.set('channel', channel);
    return this.api.send('GET', `/api/v1/notifications?${q}`);
  }
  testChannel(channel: string): Promise<NotificationRecord> {
    return this.api.send('POST', '/api/v1/notifications/test', { channel });
  }

  listProfiles(): Promise<Profile[]> {
    return this.api.listProfiles();
  }
  saveProfile(p: Profile): Promise<Profile> {
    return this.api.send('PUT', `/api/v1/profiles/${enc(p.name)}`, p);
  }
}

export interface Equipment {
  id: string;
  name: string;
  location: string | null;
  description: string | null;
  tags: string[];
  devices: string[];
}

export interface Firmware {
  id: string;
  version: string;
  name: string | null;
  size: number;
  sha256: string;
  notes: string | null;
  createdAt: number;
}

export interface Rollout {
  id: string;
  firmware: string;
  version: string;
  target: { kind: string; value: string };
  concurrency: number;
  status: 'running' | 'done' | 'cancelled';
  createdAt: number;
  updatedAt: number;
}

export type OtaJobStatus = 'queued' | 'sent' | 'downloading' | 'verifying' | 'success' | 'failed';

export interface OtaJob {
  rollout: string;
  device: string;
  status: OtaJobStatus;
  progress: number;
  reason: string | null;
  updatedAt: number;
}

/** Equipment, device metadata and OTA: the registry routes of docs/devices.md and docs/commands-and-ota.md. */
export class FleetApi {
  constructor(private readonly api: Api) {}

  async listEquipment(): Promise<Equipment[]> {
    return (await this.api.send<{ equipment: Equipment[] }>('GET', '/api/v1/equipment')).equipment;
  }
  createEquipment(e: { id: string; name: string; location?: string }): Promise<Equipment> {
    return this.api.send('POST', '/api/v1/equipment', e);
  }
  assignDevice(device: string, equipment: string | null): Promise<unknown> {
    return this.api.send('PATCH', `/api/v1/devices/${enc(device)}`, { equipment });
  }

  async listFirmware(): Promise<Firmware[]> {
    return (await this.api.send<{ firmware: Firmware[] }>('GET', '/api/v1/firmware')).firmware;
  }
  uploadFirmware(file: Blob, version: string, name: string): Promise<Firmware> {
    const q = new URLSearchParams({ version });
    if (name) q.set('name', name);
    return this.api.upload(`/api/v1/firmware?${q}`, file);
  }
  startRollout(
    firmware: string,
    target: { device?: string; profile?: string; equipment?: string },
    concurrency: number,
  ): Promise<{ rollout: Rollout; jobs: OtaJob[] }> {
    return this.api.send('POST', `/api/v1/firmware/${enc(firmware)}/rollouts`, { ...target, concurrency });
  }
  async listRollouts(): Promise<Rollout[]> {
    return (await this.api.send<{ rollouts: Rollout[] }>('GET', '/api/v1/rollouts')).rollouts;
  }
  rollout(id: string): Promise<{ rollout: Rollout; jobs: OtaJob[] }> {
    return this.api.send('GET', `/api/v1/rollouts/${enc(id)}`);
  }
  cancelRollout(id: string): Promise<{ rollout: Rollout; jobs: OtaJob[] }> {
    return this.api.send('POST', `/api/v1/rollouts/${enc(id)}/cancel`);
  }
}
