import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, TelemetryStore } from '../../src/stores/store.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';

/** The real store, made to refuse writes while `down` is set: a double of the failure, not of the data path. */
function failing(store: Store, state: { down: boolean; refused: number }): Store {
  const telemetry = (target: TelemetryStore): TelemetryStore =>
    new Proxy(target, {
      get(t, prop, receiver) {
        if (prop === 'write') {
          return (batch: Parameters<TelemetryStore['write']>[0]) => {
            if (state.down) {
              state.refused++;
              return Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
            }
            return t.write(batch);
          };
        }
        const v = Reflect.get(t, prop, receiver);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'telemetry') return telemetry(target.telemetry);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const T0 = Date.UTC(2025, 5, 1);

async function post(url: string, device: string, seqs: number[]) {
  return fetch(`${url}/api/v1/devices/${device}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: seqs.map((seq) => JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: 20 + seq / 10 })).join('\n'),
  });
}

async function count(url: string, device: string): Promise<number> {
  const r = (await (await fetch(`${url}/api/v1/devices/${device}/telemetry?from=${T0}&to=${T0 + 3600_000}`)).json()) as {
    series: Record<string, { ts: number[] }>;
  };
  const ts = r.series.temperature?.ts ?? [];
  assert.equal(new Set(ts).size, ts.length, 'no reading twice');
  return ts.length;
}

test('store down: readings are spooled and acknowledged, replayed in order once it is back, also across a restart', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const state = { down: false, refused: 0 };
  let app = await startTestApp({ dataDir: d.dir }, { wrapStore: (s) => failing(s, state) });
  t.after(() => app.stop());
  assert.equal((await post(app.httpUrl, 'tank-1', [1, 2, 3, 4, 5])).status, 200);

  state.down = true;
  for (let i = 0; i < 5; i++) {
    const seqs = Array.from({ length: 10 }, (_, k) => 6 + i * 10 + k);
    assert.equal((await post(app.httpUrl, 'tank-1', seqs)).status, 200, 'acknowledged from the spool');
  }
  assert.ok(state.refused >= 5);
  const h = (await (await fetch(`${app.httpUrl}/health`)).json()) as { components: { spool: { status: string; batches: number; bytes: number } } };
  assert.equal(h.components.spool.status, 'spooling');
  assert.ok(h.components.spool.batches >= 5 && h.components.spool.bytes > 0);
  assert.equal(await count(app.httpUrl, 'tank-1'), 5);

  // Stop while the store is still down: the spool stays on disk.
  await app.stop();
  state.down = false;
  app = await startTestApp({ dataDir: d.dir }, { wrapStore: (s) => failing(s, state) });
  await until(() => app.batcher.spoolDepth.batches === 0, { what: 'spool drained' });
  assert.equal(await count(app.httpUrl, 'tank-1'), 55);
  // A resend of what was spooled is a duplicate, not a second copy.
  assert.equal((await post(app.httpUrl, 'tank-1', [10, 20, 30])).status, 200);
  assert.equal(await count(app.httpUrl, 'tank-1'), 55);
  const c = (await (await fetch(`${app.httpUrl}/api/v1/devices/tank-1/completeness?from=${T0}&to=${T0 + 3600_000}`)).json()) as Record<string, number>;
  assert.equal(c.received, 55);
  assert.equal(c.missing, 0);
  assert.equal(c.duplicates, 3);
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_spool_replayed_total [1-9]/);
});

test('store down and spool full: the sender gets 503 and nothing is acknowledged', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const state = { down: true, refused: 0 };
  const app = await startTestApp({ dataDir: d.dir, spoolMaxBytes: 200 }, { wrapStore: (s) => failing(s, state) });
  t.after(() => app.stop());
  const res = await post(app.httpUrl, 'tank-2', [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { rule: string }).rule, 'store_unavailable');
  state.down = false;
  // The refused batch was not counted as received: sent again, it is stored whole.
  assert.equal((await post(app.httpUrl, 'tank-2', [1, 2, 3, 4, 5, 6, 7, 8])).status, 200);
  assert.equal(await count(app.httpUrl, 'tank-2'), 8);
});
