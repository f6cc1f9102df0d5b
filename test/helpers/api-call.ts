// The tests' JSON client of the API: what alarms, notify, models and cluster suites each wrote for themselves.
import assert from 'node:assert/strict';

export interface ApiAnswer<T> {
  status: number;
  /** The parsed JSON answer; null for an empty one (204). */
  body: T;
}

/** One request to `base` (http://127.0.0.1:port): `body`, when given, sent as JSON; `headers` added (a bearer token). */
export async function callApi<T>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Posts rows to a device's telemetry as NDJSON (one JSON object per line) and asserts the store took them. */
export async function postNdjson(base: string, device: string, rows: object[]): Promise<void> {
  const res = await fetch(`${base}/api/v1/devices/${device}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: rows.map((r) => JSON.stringify(r)).join('\n'),
  });
  assert.equal(res.status, 200, await res.text());
}
