import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceAddress, loopback, probePlan } from '../../bench/lib/address-plan.js';

/** Devices per source address over every step of a connections run, as bench/connections.ts starts them. */
function perAddress(clients: number, perProbe: number, cap: number): Map<string, number> {
  const half = Math.floor(clients / 2);
  const counts = new Map<string, number>();
  let first = 0;
  for (const step of [half, clients - half]) {
    for (const plan of probePlan(first, step, perProbe, cap)) {
      for (let k = 0; k < plan.n; k++) {
        const a = deviceAddress(plan, k, cap);
        counts.set(a, (counts.get(a) ?? 0) + 1);
      }
    }
    first += step;
  }
  return counts;
}

test("no source address carries more devices than the broker's per-address cap, across probes and steps", () => {
  // The quiet run of stop 18: 10,000 devices in two steps, 900 per address; the two steps' probes
  // shared 127.0.0.7 and put 1,548 devices on it, so 548 were refused by --mqtt-max-per-ip 1000.
  for (const [clients, perProbe, cap] of [
    [10_000, 10_000, 900],
    [20_000, 10_000, 900],
    [18_000, 10_000, 900],
    [4_000, 1_500, 900],
    [100_000, 10_000, 900],
    [7_777, 333, 250],
  ]) {
    const counts = perAddress(clients, perProbe, cap);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, clients);
    const [worst, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
    assert.ok(n <= cap, `${clients} clients, ${perProbe} per probe: ${n} devices on ${worst}, cap ${cap}`);
  }
});

test('loopback source addresses skip .0, .1 and .255', () => {
  assert.equal(loopback(0), '127.0.0.2');
  assert.equal(loopback(251), '127.0.0.253');
  assert.equal(loopback(252), '127.0.1.1');
  const seen = new Set(Array.from({ length: 2000 }, (_, k) => loopback(k)));
  assert.equal(seen.size, 2000);
  for (const a of seen) {
    assert.match(a, /^127\.0\.\d+\.\d+$/);
    assert.ok(!/\.(0|255)$/.test(a) && a !== '127.0.0.1', a);
  }
});
