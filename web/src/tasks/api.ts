import type { Api } from '../api.js';
import type { BacktestResult, NotificationChannel, NotificationRecord, Rule, RuleInput } from '../../../src/model/alarm.js';
import type { DeviceCommand, EquipmentView, Firmware, OtaJob, Rollout } from '../../../src/model/device-admin.js';
import type { DeviceInfo, Profile } from '../../../src/model/device.js';

export type { Rule, RuleInput };

export type { BacktestResult, NotificationRecord };
export type { CommandStatus, DeviceCommand, Firmware, OtaJob, Rollout } from '../../../src/model/device-admin.js';
export type { OtaStatus as OtaJobStatus } from '../../../src/model/device-admin.js';
/** A configured notification channel as GET /notifications lists it. */
export type Channel = NotificationChannel;
/** Equipment as GET /equipment answers it, with its sensors. */
export type Equipment = EquipmentView;

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

  renameEquipment(id: string, e: { name: string; location: string | null }): Promise<Equipment> {
    return this.api.send('PATCH', `/api/v1/equipment/${enc(id)}`, e);
  }
  deleteEquipment(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/v1/equipment/${enc(id)}`);
  }

  /** One device with what people recorded about it (name, location, tags...). */
  device(id: string): Promise<DeviceInfo> {
    return this.api.send('GET', `/api/v1/devices/${enc(id)}`);
  }
  /** Changes only the fields given (PATCH): the device's equipment, notes and profile stay. */
  updateDevice(id: string, meta: { name: string | null; location: string | null; tags: string[]; notes?: string | null }): Promise<DeviceInfo> {
    return this.api.send('PATCH', `/api/v1/devices/${enc(id)}`, meta);
  }
  bindProfile(id: string, profile: string | null): Promise<DeviceInfo> {
    return this.api.send('PUT', `/api/v1/devices/${enc(id)}/profile`, { profile });
  }
  deleteDevice(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/v1/devices/${enc(id)}`);
  }
  /** A device's firmware updates, newest first. */
  async deviceOta(id: string): Promise<OtaJob[]> {
    return (await this.api.send<{ jobs: OtaJob[] }>('GET', `/api/v1/devices/${enc(id)}/ota`)).jobs;
  }

  deleteFirmware(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/v1/firmware/${enc(id)}`);
  }
  async listFirmware(): Promise<Firmware[]> {
    return (await this.api.send<{ firmware: Firmware[] }>('GET', '/api/v1/firmware')).firmware;
  }
  uploadFirmware(file: Blob, version: string, name: string): Promise<Firmware> {
    const q = new URLSearchParams({ version });
    if (name) q.set('name', name);
    return this.api.upload(`/api/v1/firmware?${q}`, file);
  }
  /**
   * One rollout over every device of the target; a list of devices too, `concurrency` at a time across it.
   * leftOut: devices of the profile or equipment never heard from, not part of it.
   */
  startRollout(
    firmware: string,
    target: { device?: string; devices?: string[]; profile?: string; equipment?: string },
    concurrency: number,
  ): Promise<{ rollout: Rollout; jobs: OtaJob[]; leftOut: number }> {
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
