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
