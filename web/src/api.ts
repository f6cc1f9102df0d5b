import type { DeviceInfo, LatestValue, Profile } from '../../src/model/device.js';
import type { TelemetryResponse } from '../../src/model/telemetry.js';

/** A non-2xx answer from the API, with the server's `error` text when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
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

  async listProfiles(o?: RequestOptions): Promise<Profile[]> {
    return (await this.get<{ profiles: Profile[] }>('/api/v1/profiles', o)).profiles;
  }

  getProfile(name: string, o?: RequestOptions): Promise<Profile> {
    return this.get<Profile>(`/api/v1/profiles/${encodeURIComponent(name)}`, o);
  }

  private async get<T>(path: string, o?: RequestOptions): Promise<T> {
    const res = await this.fetchImpl(this.base + path, { headers: { accept: 'application/json' }, signal: o?.signal });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!res.ok) {
      const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : res.statusText;
      throw new ApiError(res.status, `${res.status} ${msg || 'request failed'} (GET ${path})`, body);
    }
    return body as T;
  }
}
