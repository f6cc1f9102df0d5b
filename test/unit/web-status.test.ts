import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueStatus, worstStatus } from '../../web/src/state/status.js';
import { formatAxisDay, formatAxisTime, formatDateTime, formatValue, relativeTime } from '../../web/src/state/format.js';
import { filterDevices } from '../../web/src/state/filter.js';
import { metricOrder, scaleGroups } from '../../web/src/state/profiles.js';
import type { DeviceInfo, Profile } from '../../src/model/device.js';

const ina219v = { unit: 'V', min: 0, max: 32, warnLow: 4.75, warnHigh: 5.25 };

test('normal inside [warnLow, warnHigh], warning outside it, alarm outside [min, max]', () => {
  assert.equal(valueStatus(5, ina219v), 'normal');
  assert.equal(valueStatus(4.75, ina219v), 'normal');
  assert.equal(valueStatus(5.25, ina219v), 'normal');
  assert.equal(valueStatus(4.7, ina219v), 'warning');
  assert.equal(valueStatus(6, ina219v), 'warning');
  assert.equal(valueStatus(32, ina219v), 'warning');
  assert.equal(valueStatus(32.1, ina219v), 'alarm');
  assert.equal(valueStatus(-0.1, ina219v), 'alarm');
});

test('bounds the profile leaves out are open', () => {
  const temp = { unit: '°C', min: -40, max: 85, warnHigh: 45 };
  assert.equal(valueStatus(-39, temp), 'normal');
  assert.equal(valueStatus(46, temp), 'warning');
  assert.equal(valueStatus(90, temp), 'alarm');
  const level = { min: 0, max: 100, warnLow: 60 };
  assert.equal(valueStatus(59, level), 'warning');
  assert.equal(valueStatus(100, level), 'normal');
});

test('no spec or no ranges: no status; non-finite with ranges: alarm', () => {
  assert.equal(valueStatus(1, undefined), 'none');
  assert.equal(valueStatus(1, { unit: 'g' }), 'none');
  assert.equal(valueStatus(NaN, ina219v), 'alarm');
});

test('worstStatus ranks alarm > warning > normal > none', () => {
  assert.equal(worstStatus([]), 'none');
  assert.equal(worstStatus(['normal', 'none']), 'normal');
  assert.equal(worstStatus(['normal', 'warning', 'none']), 'warning');
  assert.equal(worstStatus(['warning', 'alarm', 'normal']), 'alarm');
});

test('relativeTime: Intl for the language; null for never', () => {
  const now = 1_700_000_000_000;
  assert.equal(relativeTime(now - 3000, now), '3s ago');
  assert.equal(relativeTime(now - 400, now), 'now');
  assert.equal(relativeTime(now - 125_000, now), '2m ago');
  assert.equal(relativeTime(now - 3 * 3_600_000, now), '3h ago');
  assert.equal(relativeTime(now + 5000, now), 'in 5s');
  assert.equal(relativeTime(0, now), null);
  assert.equal(relativeTime(now - 3000, now, 'ko'), '3초 전');
  assert.equal(relativeTime(now - 125_000, now, 'ko'), '2분 전');
});

test('formatValue trims float noise', () => {
  assert.equal(formatValue(5), '5');
  assert.equal(formatValue(5.0300001), '5.03');
  assert.equal(formatValue(0.123456), '0.1235');
  assert.equal(formatValue(1234.56), '1235');
  assert.equal(formatValue(-2.5), '-2.5');
  assert.equal(formatValue(12345.6, 'ko'), '12346');
  assert.equal(formatValue(0.5, 'ko'), '0.5');
});

const dev = (id: string, profile: string | null, online: boolean): DeviceInfo => ({ id, profile, online, firstSeen: 1, lastSeen: 1, latest: {} });

test('filterDevices matches id or profile, all words, and online state; sorted by id', () => {
  const list = [dev('rack-2', 'battery', true), dev('pm-1', 'ina219', false), dev('rack-1', 'battery', false), dev('x', null, true)];
  assert.deepEqual(
    filterDevices(list, { query: '', online: 'all' }).map((d) => d.id),
    ['pm-1', 'rack-1', 'rack-2', 'x'],
  );
  assert.deepEqual(
    filterDevices(list, { query: 'BATT', online: 'all' }).map((d) => d.id),
    ['rack-1', 'rack-2'],
  );
  assert.deepEqual(
    filterDevices(list, { query: 'rack 2', online: 'all' }).map((d) => d.id),
    ['rack-2'],
  );
  assert.deepEqual(
    filterDevices(list, { query: '', online: 'offline' }).map((d) => d.id),
    ['pm-1', 'rack-1'],
  );
  assert.deepEqual(
    filterDevices(list, { query: 'ina', online: 'online' }).map((d) => d.id),
    [],
  );
});

const ina219: Profile = {
  name: 'ina219',
  metrics: { v: { unit: 'V' }, a: { unit: 'A' }, w: { unit: 'W' } },
};

test('metricOrder: profile order first, then extra metrics sorted', () => {
  assert.deepEqual(metricOrder(ina219, ['w', 'zeta', 'alpha'], ['v', 'alpha']), ['v', 'a', 'w', 'alpha', 'zeta']);
  assert.deepEqual(metricOrder(undefined, ['b', 'a']), ['a', 'b']);
});

test('scaleGroups: one scale per unit, a unitless metric alone', () => {
  const battery: Profile = {
    name: 'b',
    metrics: { v1: { unit: 'V' }, t: { unit: '°C' }, v2: { unit: 'V' }, fault: {} },
  };
  assert.deepEqual(scaleGroups(['v1', 't', 'v2', 'fault', 'other'], battery), [
    { key: 'unit:V', label: 'V', metrics: ['v1', 'v2'] },
    { key: 'unit:°C', label: '°C', metrics: ['t'] },
    { key: 'metric:fault', label: 'fault', metrics: ['fault'] },
    { key: 'metric:other', label: 'other', metrics: ['other'] },
  ]);
  assert.equal(scaleGroups(['v', 'a', 'w'], ina219).length, 3);
});

test('formatDateTime (one cached Intl formatter per language and form) reads as toLocaleString does', () => {
  const ts = Date.UTC(2026, 10, 27, 23, 59, 7);
  const opts = (s: boolean): Intl.DateTimeFormatOptions => ({
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: s ? '2-digit' : undefined,
  });
  for (const lang of ['en', 'ko'] as const)
    for (const s of [true, false]) {
      assert.equal(formatDateTime(ts, lang, s), new Date(ts).toLocaleString(lang, opts(s)));
      assert.equal(formatDateTime(ts + 1000, lang, s), new Date(ts + 1000).toLocaleString(lang, opts(s)), 'the cached formatter, a second time');
    }
});

test('the time axis formatters (cached per language and form) read as toLocaleDateString / toLocaleTimeString do', () => {
  const ts = Date.UTC(2026, 10, 27, 23, 59, 7);
  for (const lang of ['en', 'ko'] as const)
    for (const at of [ts, ts + 86_400_000 + 1000]) {
      const d = new Date(at);
      assert.equal(formatAxisDay(at, lang), d.toLocaleDateString(lang, { month: 'short', day: 'numeric' }));
      assert.equal(formatAxisDay(at, lang, true), d.toLocaleDateString(lang, { year: 'numeric', month: 'short', day: 'numeric' }));
      for (const s of [true, false])
        assert.equal(formatAxisTime(at, lang, s), d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', second: s ? '2-digit' : undefined }));
    }
});
