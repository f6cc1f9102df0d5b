import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SPARK_H, SPARK_W, sparkline } from '../../web/src/components/sparkline.js';

const sparklinePath = (...args: Parameters<typeof sparkline>) => sparkline(...args).d;

/** The points of a path "M x y L x y ...". */
const points = (d: string) => [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('fleet table sparkline path', () => {
  it('spans the box: the hour across the width, the lowest value at the bottom and the highest at the top', () => {
    const from = 0;
    const to = 3_600_000;
    const d = sparklinePath([0, 1_800_000, 3_600_000], [10, 30, 20], from, to, undefined);
    assert.deepEqual(points(d), [
      [0, SPARK_H - 2],
      [SPARK_W / 2, 2],
      [SPARK_W, SPARK_H / 2],
    ]);
    assert.match(d, /^M[^M]*$/);
  });

  it('adds the latest live value when newer than the last bucket, and widens the range for it', () => {
    const d = sparklinePath([0, 1_800_000], [10, 20], 0, 3_600_000, { ts: 3_600_000, value: 40 });
    const p = points(d);
    assert.equal(p.length, sparkline([0, 1_800_000], [10, 20], 0, 3_600_000, { ts: 3_600_000, value: 40 }).points);
    assert.deepEqual(p.at(-1), [SPARK_W, 2]);
    assert.deepEqual(p[0], [0, SPARK_H - 2]);
    // A live value not newer than the last bucket is already in it.
    const inLast = sparkline([0, 1_800_000], [10, 20], 0, 3_600_000, { ts: 1_800_000, value: 40 });
    assert.equal(points(inLast.d).length, 2);
    assert.equal(inLast.points, 2);
  });

  it('draws a live value alone, and nothing from nothing', () => {
    assert.deepEqual(points(sparklinePath([], [], 0, 3_600_000, { ts: 1_800_000, value: 5 })), [[SPARK_W / 2, SPARK_H - 2]]);
    assert.deepEqual(sparkline([], [], 0, 3_600_000, undefined), { d: '', points: 0 });
  });

  it('rounds to half a pixel, so a live value that moves the line by less writes the same path', () => {
    const ts = [0, 1_800_000];
    const values = [0, 100];
    const a = sparklinePath(ts, values, 0, 3_600_000, { ts: 3_000_000, value: 50 });
    const b = sparklinePath(ts, values, 0, 3_600_000, { ts: 3_000_000, value: 50.5 });
    const c = sparklinePath(ts, values, 0, 3_600_000, { ts: 3_000_000, value: 60 });
    assert.equal(a, b);
    assert.notEqual(a, c);
    for (const [x, y] of points(c)) {
      assert.equal(x * 2, Math.round(x * 2));
      assert.equal(y * 2, Math.round(y * 2));
    }
  });
});
