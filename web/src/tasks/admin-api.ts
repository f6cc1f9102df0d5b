import { ApiError, type Api } from '../api.js';
import type { AuthSession } from '../auth/session.js';
import type { AuditEntry } from '../../../src/model/audit.js';
import type { AlarmGroupStats, AlarmStats } from '../../../src/model/alarm.js';
import type { DeviceRetention, ImportCheckpointView, ImportSummary, RejectedLine, RetentionOverview } from '../../../src/model/retention.js';
import type { BundleView } from './models-api.js';

export type { AlarmGroupStats, AlarmStats, AuditEntry, ImportSummary, RejectedLine };

/** Retention as GET /api/v1/retention answers it, for one device and for all (declared once in src/model/schemas/retention.ts). */
export type { DeviceRetention };
export type RetentionList = RetentionOverview;
/** Where the import of one file stands on the server (GET /api/v1/import/checkpoints/{key}), declared once in src/model/schemas/retention.ts. */
export type ImportCheckpoint = ImportCheckpointView;

export interface AuditQuery {
  actor?: string;
  method?: string;
  route?: string;
  from?: number;
  to?: number;
  before?: number;
  limit: number;
}

/** What the file's name says its format is: .csv -> CSV, .ndjson/.jsonl/.json -> NDJSON; null: unknown. */
export function importFormatOf(name: string): 'csv' | 'ndjson' | null {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(nd)?jsonl?$|\.ndjson$/i.test(name)) return 'ndjson';
  return null;
}

const enc = encodeURIComponent;

/** Retention, the audit log, alarm statistics and bundle uploads: the admin screens' routes. */
export class AdminApi {
  constructor(private readonly api: Api) {}

  retention(): Promise<RetentionList> {
    return this.api.send('GET', '/api/v1/retention');
  }
  setRetention(device: string, rawRetentionHours: number | null): Promise<DeviceRetention> {
    return this.api.send('PUT', `/api/v1/devices/${enc(device)}/retention`, { rawRetentionHours });
  }

  async audit(q: AuditQuery): Promise<AuditEntry[]> {
    const p = new URLSearchParams({ limit: String(q.limit) });
    for (const k of ['actor', 'method', 'route'] as const) if (q[k]) p.set(k, q[k]!);
    for (const k of ['from', 'to', 'before'] as const) if (q[k] !== undefined) p.set(k, String(q[k]));
    return (await this.api.send<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?${p}`)).entries;
  }

  alarmStats(q: { from?: number; to?: number; limit?: number }): Promise<AlarmStats> {
    const p = new URLSearchParams();
    if (q.from !== undefined) p.set('from', String(Math.floor(q.from)));
    if (q.to !== undefined) p.set('to', String(Math.ceil(q.to)));
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    return this.api.send('GET', `/api/v1/alarms/stats?${p}`);
  }

  uploadBundle(manifest: unknown, files: Record<string, string>): Promise<BundleView> {
    return this.api.send('POST', '/api/v1/serve-ml/bundles', { manifest, files });
  }
}

const HEAD_BYTES = 64 * 1024;

/**
 * A file's identity as the server and the CLI make it: sha256 of its first 64 KiB and its size.
 * null where the browser has no WebCrypto (a page not served over https or from localhost): such
 * an upload still imports, it just cannot be continued.
 */
export async function importKeyOf(file: Blob): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest('SHA-256', await file.slice(0, HEAD_BYTES).arrayBuffer());
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  return `sha256:${hex}:${file.size}`;
}

/** The checkpoint of an import by its key; null when nothing of it was ever committed. */
export async function importCheckpoint(api: Api, key: string): Promise<ImportCheckpoint | null> {
  try {
    return await api.send<ImportCheckpoint>('GET', `/api/v1/import/checkpoints/${encodeURIComponent(key)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Uploads a file to POST /api/v1/import. With `key`, every commit records a checkpoint; with
 * `resumeAt` (a checkpoint's offset) only the head (to check it is the same file) and the bytes
 * from there on are sent. `onProgress` counts in the file's bytes either way. fetch cannot report
 * how much of a request body has gone (Chromium streams request bodies only over HTTP/2), so this
 * one request goes by XMLHttpRequest, with the session's token, refreshed first. Refusals come back
 * as the same ApiError as elsewhere.
 */
export async function importFile(
  session: AuthSession,
  file: Blob,
  q: { format: 'csv' | 'ndjson'; device?: string; map?: string; start?: string; applyRetention?: boolean; key?: string | null; resumeAt?: number },
  onProgress: (sent: number, total: number) => void,
): Promise<ImportSummary> {
  await session.ensureFresh().catch(() => false);
  const p = new URLSearchParams({ format: q.format });
  if (q.device) p.set('device', q.device);
  if (q.map) p.set('map', q.map);
  if (q.start) p.set('start', q.start);
  if (q.applyRetention) p.set('applyRetention', 'true');
  if (q.key) p.set('key', q.key);
  const resumeAt = q.key && q.resumeAt ? q.resumeAt : 0;
  if (resumeAt) p.set('resumeAt', String(resumeAt));
  const head = resumeAt ? Math.min(HEAD_BYTES, file.size) : 0;
  const body = resumeAt ? new Blob([file.slice(0, head), file.slice(resumeAt)]) : file;
  const path = `/api/v1/import?${p}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', q.format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    const token = session.accessToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(resumeAt + Math.max(0, e.loaded - head), file.size);
    xhr.onerror = () => reject(new Error(`POST ${path}: the connection failed`));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as ImportSummary);
      const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : xhr.statusText;
      const retry = Number(xhr.getResponseHeader('retry-after'));
      reject(new ApiError(xhr.status, `${xhr.status} ${msg} (POST ${path})`, body, Number.isFinite(retry) && retry > 0 ? retry : null));
    };
    xhr.send(body);
  });
}

/** A file's bytes as base64 (bundle files travel so in POST /serve-ml/bundles). */
export async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
