import type { DeviceInfo, LatestValue, Profile } from '../../src/model/device.js';
import type { BucketPage, ManyBucketPage, TelemetryResponse } from '../../src/model/telemetry.js';
import type { Alarm, Rule } from '../../src/model/alarm.js';
import type { DeviceLiveStats } from '../../src/model/live.js';
import type { Completeness } from '../../src/model/sequence.js';
import type { Identity, IssuedDeviceToken, PublicApiKey, PublicDeviceCredential, PublicUser, Role } from '../../src/model/auth.js';
import { retryAfterOf } from './auth/session.js';

export type { Identity } from '../../src/model/auth.js';
export type { Completeness } from '../../src/model/sequence.js';
/** Live analytics of a device as GET /devices/{id}/stats/live answers them. */
export type DeviceStats = DeviceLiveStats;

/** A non-2xx answer from the API, with the server's `error` text when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server's `rule` (forbidden, rate_limit, token_expired, ...), when it gave one. */
  get rule(): string | null {
    const b = this.body as { rule?: unknown } | undefined;
    return b && typeof b === 'object' && typeof b.rule === 'string' ? b.rule : null;
  }
}

export interface TelemetryQuery {
  metrics?: string[];
  from?: number;
  to?: number;
  limit?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** The REST API (/api/v1), same origin unless a base is given. */
export class Api {
  constructor(
    private readonly base = '',
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  async listDevices(o?: RequestOptions): Promise<DeviceInfo[]> {
    return (await this.get<{ devices: DeviceInfo[] }>('/api/v1/devices', o)).devices;
  }

  getDevice(id: string, o?: RequestOptions): Promise<DeviceInfo> {
    return this.get<DeviceInfo>(`/api/v1/devices/${encodeURIComponent(id)}`, o);
  }

  getLatest(id: string, o?: RequestOptions): Promise<{ device: string; latest: Record<string, LatestValue> }> {
    return this.get(`/api/v1/devices/${encodeURIComponent(id)}/latest`, o);
  }

  getTelemetry(id: string, q: TelemetryQuery = {}, o?: RequestOptions): Promise<TelemetryResponse> {
    const p = new URLSearchParams();
    if (q.metrics?.length) p.set('metric', q.metrics.join(','));
    if (q.from !== undefined) p.set('from', String(Math.floor(q.from)));
    if (q.to !== undefined) p.set('to', String(Math.ceil(q.to)));
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    const qs = p.toString();
    return this.get(`/api/v1/devices/${encodeURIComponent(id)}/telemetry${qs ? `?${qs}` : ''}`, o);
  }

  /** Downsampled history: at most `points` buckets per metric over [from, to). */
  getBuckets(id: string, q: { metrics: string[]; from: number; to: number; points: number }, o?: RequestOptions): Promise<BucketPage> {
    const p = new URLSearchParams({ from: String(Math.floor(q.from)), to: String(Math.ceil(q.to)), points: String(Math.max(1, Math.round(q.points))) });
    if (q.metrics.length) p.set('metric', q.metrics.join(','));
    return this.get(`/api/v1/devices/${encodeURIComponent(id)}/telemetry?${p}`, o);
  }

  /** The same buckets of many devices in one request (GET /telemetry/buckets), with their completeness when asked. */
  getBucketsMany(
    ids: string[],
    q: { metrics: string[]; from: number; to: number; points: number; completeness?: boolean },
    o?: RequestOptions,
  ): Promise<ManyBucketPage> {
    const p = new URLSearchParams({
      devices: ids.join(','),
      metric: q.metrics.join(','),
      from: String(Math.floor(q.from)),
      to: String(Math.ceil(q.to)),
      points: String(Math.max(1, Math.round(q.points))),
    });
    if (q.completeness) p.set('completeness', 'true');
    return this.get(`/api/v1/telemetry/buckets?${p}`, o);
  }

  getLiveStats(id: string, o?: RequestOptions): Promise<DeviceStats> {
    return this.get(`/api/v1/devices/${encodeURIComponent(id)}/stats/live`, o);
  }

  getCompleteness(id: string, from: number, to: number, o?: RequestOptions): Promise<Completeness> {
    return this.get(`/api/v1/devices/${encodeURIComponent(id)}/completeness?from=${Math.floor(from)}&to=${Math.ceil(to)}`, o);
  }

  async listAlarms(query: string, o?: RequestOptions): Promise<Alarm[]> {
    return (await this.alarmList(query, o)).alarms;
  }

  /** The list with the server's note that the store did not answer (then only system alarms held in memory are listed). */
  alarmList(query: string, o?: RequestOptions): Promise<{ alarms: Alarm[]; storeUnavailable?: boolean }> {
    return this.get<{ alarms: Alarm[]; storeUnavailable?: boolean }>(`/api/v1/alarms${query ? `?${query}` : ''}`, o);
  }

  /** Acknowledges or clears an alarm; answers the alarm as it is now. */
  alarmAction(id: number, action: 'ack' | 'clear', by: string, comment: string): Promise<Alarm> {
    return this.send<Alarm>('POST', `/api/v1/alarms/${id}/${action}`, comment ? { by, comment } : { by });
  }

  /** Where the CSV of a device's readings in [from, to) downloads from. */
  exportUrl(id: string, from: number, to: number, metrics: string[] = []): string {
    const p = new URLSearchParams({ devices: id, from: String(Math.floor(from)), to: String(Math.ceil(to)), format: 'csv' });
    if (metrics.length) p.set('metrics', metrics.join(','));
    return `${this.base}/api/v1/export?${p}`;
  }

  /** The CSV export fetched with the caller's credentials, as a Blob to save. */
  async exportBlob(id: string, from: number, to: number, metrics: string[] = []): Promise<Blob> {
    const url = this.exportUrl(id, from, to, metrics);
    const res = await this.fetchImpl(url, { headers: { accept: 'text/csv' } });
    if (!res.ok) throw await failure(res, 'GET', url);
    return res.blob();
  }

  me(o?: RequestOptions): Promise<Identity> {
    return this.get<Identity>('/api/v1/auth/me', o);
  }

  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.send('POST', '/api/v1/auth/password', { currentPassword, newPassword });
  }

  async listUsers(): Promise<PublicUser[]> {
    return (await this.get<{ users: PublicUser[] }>('/api/v1/users')).users;
  }

  createUser(u: { username: string; password: string; role: Role }): Promise<PublicUser> {
    return this.send('POST', '/api/v1/users', u);
  }

  updateUser(id: string, patch: { role?: Role; password?: string; disabled?: boolean }): Promise<PublicUser> {
    return this.send('PATCH', `/api/v1/users/${encodeURIComponent(id)}`, patch);
  }

  deleteUser(id: string): Promise<void> {
    return this.send('DELETE', `/api/v1/users/${encodeURIComponent(id)}`);
  }

  async listApiKeys(): Promise<PublicApiKey[]> {
    return (await this.get<{ apiKeys: PublicApiKey[] }>('/api/v1/api-keys')).apiKeys;
  }

  createApiKey(name: string, role: Role): Promise<{ key: string; apiKey: PublicApiKey }> {
    return this.send('POST', '/api/v1/api-keys', { name, role });
  }

  revokeApiKey(id: string): Promise<PublicApiKey> {
    return this.send('DELETE', `/api/v1/api-keys/${encodeURIComponent(id)}`);
  }

  async listDeviceCredentials(): Promise<PublicDeviceCredential[]> {
    return (await this.get<{ credentials: PublicDeviceCredential[] }>('/api/v1/device-credentials')).credentials;
  }

  issueDeviceCredential(device: string): Promise<IssuedDeviceToken> {
    return this.send('POST', `/api/v1/devices/${encodeURIComponent(device)}/credentials`);
  }

  revokeDeviceCredential(device: string): Promise<void> {
    return this.send('DELETE', `/api/v1/devices/${encodeURIComponent(device)}/credentials`);
  }

  async listProfiles(o?: RequestOptions): Promise<Profile[]> {
    return (await this.get<{ profiles: Profile[] }>('/api/v1/profiles', o)).profiles;
  }

  getProfile(name: string, o?: RequestOptions): Promise<Profile> {
    return this.get<Profile>(`/api/v1/profiles/${encodeURIComponent(name)}`, o);
  }

  /** Alarm rules, for the chart's threshold lines. */
  async chartRules(o?: RequestOptions): Promise<Rule[]> {
    return (await this.get<{ rules: Rule[] }>('/api/v1/rules', o)).rules;
  }

  private get<T>(path: string, o?: RequestOptions): Promise<T> {
    return this.send<T>('GET', path, undefined, o);
  }

  /** A raw body (a firmware image) with the caller's credentials; answers the JSON reply. */
  async upload<T>(path: string, body: Blob, contentType = 'application/octet-stream'): Promise<T> {
    const res = await this.fetchImpl(this.base + path, { method: 'POST', headers: { accept: 'application/json', 'content-type': contentType }, body });
    if (!res.ok) throw await failure(res, 'POST', path);
    return (await res.json()) as T;
  }

  /** Any call of the REST API (the operator screens in web/src/tasks use it for their routes). */
  async send<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, json?: unknown, o?: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchImpl(this.base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), signal: o?.signal });
    if (!res.ok) throw await failure(res, method, path);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      return text as T;
    }
  }
}

async function failure(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : res.statusText;
  return new ApiError(res.status, `${res.status} ${msg || 'request failed'} (${method} ${path})`, body, retryAfterOf(res));
}
