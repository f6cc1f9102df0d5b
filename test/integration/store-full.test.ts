/**
 * The non-telemetry half of Store (alarms, device administration, auth, profiles, sequence state, import
 * checkpoints), checked the same way on every engine. Expected values come from what the test wrote.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Alarm } from '../../src/model/alarm.js';
import type { DeviceCommand } from '../../src/model/device-admin.js';
import type { Profile } from '../../src/model/device.js';
import type { SeqDeviceState } from '../../src/pipeline/sequence.js';
import type { Store } from '../../src/stores/store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { openPostgresStore, requirePostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/app.js';
import { join } from 'node:path';

const T0 = Date.UTC(2025, 0, 1);

const alarm = (device: string, ruleId: string, value: number, at: number): Omit<Alarm, 'id'> => ({
  ruleId,
  ruleName: `rule ${ruleId}`,
  kind: 'threshold',
  device,
  metric: 'temperature',
  severity: 'major',
  status: 'active_unacked',
  raisedAt: at,
  lastAt: at,
  count: 1,
  firstValue: value,
  lastValue: value,
  clearedAt: null,
  clearedBy: null,
  ackedAt: null,
  ackedBy: null,
  message: 'hot',
});

function fullStoreSuite(engine: string, factory: () => Promise<{ store: Store; cleanup(): Promise<void> }>, skip: string | false = false): void {
  describe(`full store suite: ${engine}`, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await factory());
    });
    after(async () => cleanup?.());

    it('keeps one open alarm per (device, rule) under racing opens; a cleared one lets the next open anew', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.alarms.openAlarm(alarm('race-1', 'r1', 50 + i, T0 + i))));
      assert.equal(results.filter((r) => r.created).length, 1, 'exactly one created');
      const id = results[0].alarm.id;
      assert.ok(results.every((r) => r.alarm.id === id));
      const open = await store.alarms.getAlarm(id);
      assert.equal(open?.count, 10);
      assert.equal(open?.lastAt, T0 + 9);
      assert.deepEqual(
        (await store.alarms.listAlarmEvents(id)).map((e) => e.type),
        ['raised'],
      );

      await store.alarms.repeatAlarm(id, 70, T0 + 5);
      const repeated = (await store.alarms.getAlarm(id))!;
      assert.deepEqual([repeated.count, repeated.lastValue, repeated.lastAt], [11, 70, T0 + 9], 'last_at never goes back');

      await store.alarms.updateAlarm(
        { ...repeated, status: 'cleared_unacked', clearedAt: T0 + 100, clearedBy: 'ops' },
        { at: T0 + 100, type: 'cleared', by: 'ops', comment: 'done', value: null },
      );
      assert.deepEqual(
        (await store.alarms.listAlarmEvents(id)).map((e) => [e.type, e.by, e.comment]),
        [
          ['raised', null, null],
          ['cleared', 'ops', 'done'],
        ],
      );
      const next = await store.alarms.openAlarm(alarm('race-1', 'r1', 60, T0 + 200));
      assert.equal(next.created, true);
      assert.notEqual(next.alarm.id, id);
      assert.deepEqual(
        (await store.alarms.activeAlarms()).filter((a) => a.device === 'race-1').map((a) => a.id),
        [next.alarm.id],
      );
      const listed = await store.alarms.listAlarms({ device: 'race-1', status: ['cleared_unacked'], limit: 10 });
      assert.deepEqual(
        listed.map((a) => a.id),
        [id],
      );
      const stats = await store.alarms.alarmStats();
      assert.ok(stats.byStatus.cleared_unacked >= 1 && stats.open >= 1 && stats.total >= 2);
    });

    it('alarm statistics over a period: per rule and device, with the times to acknowledge and to clear', async () => {
      // A period of its own, far from the other tests' alarms.
      const P = T0 + 400 * 86_400_000;
      const a1 = (await store.alarms.openAlarm(alarm('st-1', 'st-r1', 60, P + 1000))).alarm;
      const a2 = (await store.alarms.openAlarm(alarm('st-2', 'st-r1', 61, P + 2000))).alarm;
      const a3 = (await store.alarms.openAlarm(alarm('st-1', 'st-r2', 62, P + 3000))).alarm;
      await store.alarms.repeatAlarm(a3.id, 63, P + 3500);
      // Before the period: not counted.
      await store.alarms.openAlarm(alarm('st-1', 'st-r3', 1, P - 1000));
      await store.alarms.updateAlarm(
        { ...a1, status: 'active_acked', ackedAt: P + 1000 + 60_000, ackedBy: 'olga' },
        { at: P + 61_000, type: 'acked', by: 'olga', comment: null, value: null },
      );
      await store.alarms.updateAlarm(
        { ...a1, status: 'cleared_acked', ackedAt: P + 61_000, ackedBy: 'olga', clearedAt: P + 1000 + 120_000, clearedBy: 'olga' },
        { at: P + 121_000, type: 'cleared', by: 'olga', comment: null, value: null },
      );
      await store.alarms.updateAlarm(
        { ...a2, status: 'active_acked', ackedAt: P + 2000 + 20_000, ackedBy: 'olga' },
        { at: P + 22_000, type: 'acked', by: 'olga', comment: null, value: null },
      );
      const s = await store.alarms.alarmStats({ from: P, to: P + 86_400_000, limit: 10 });
      assert.equal(s.total, 3);
      assert.equal(s.open, 2);
      assert.deepEqual([s.rules, s.devices], [2, 2]);
      assert.deepEqual(s.toAck, { count: 2, meanMs: 40_000, maxMs: 60_000 });
      assert.deepEqual(s.toClear, { count: 1, meanMs: 120_000, maxMs: 120_000 });
      assert.deepEqual(s.byRule, [
        {
          key: 'st-r1',
          name: 'rule st-r1',
          count: 2,
          occurrences: 2,
          open: 1,
          acked: 2,
          toAck: { count: 2, meanMs: 40_000, maxMs: 60_000 },
          toClear: { count: 1, meanMs: 120_000, maxMs: 120_000 },
        },
        {
          key: 'st-r2',
          name: 'rule st-r2',
          count: 1,
          occurrences: 2,
          open: 1,
          acked: 0,
          toAck: { count: 0, meanMs: null, maxMs: null },
          toClear: { count: 0, meanMs: null, maxMs: null },
        },
      ]);
      assert.deepEqual(
        s.byDevice?.map((d) => [d.key, d.count, d.open]),
        [
          ['st-1', 2, 1],
          ['st-2', 1, 1],
        ],
      );
      // The limit lists fewer, and says how many there are.
      const one = await store.alarms.alarmStats({ from: P, to: P + 86_400_000, limit: 1 });
      assert.deepEqual([one.byRule?.length, one.rules], [1, 2]);
    });

    it('rules keep their order, trigger state and the notification log round-trip', async () => {
      for (const id of ['rule-b', 'rule-a']) await store.alarms.saveRule({ id, name: id, updatedAt: T0 } as never);
      await store.alarms.saveRule({ id: 'rule-b', name: 'renamed', updatedAt: T0 + 1 } as never);
      const ids = (await store.alarms.listRules()).map((r) => r.id).filter((x) => x.startsWith('rule-'));
      assert.deepEqual(ids, ['rule-b', 'rule-a'], 'first-saved order, kept on update');
      assert.equal(((await store.alarms.getRule('rule-b')) as unknown as { name: string }).name, 'renamed');
      await store.alarms.saveTrigger({ ruleId: 'rule-a', device: 'd1', phase: 'pending_on', since: T0 });
      assert.deepEqual(await store.alarms.listTriggers(), [{ ruleId: 'rule-a', device: 'd1', phase: 'pending_on', since: T0 }]);
      assert.equal(await store.alarms.deleteRule('rule-a'), true);
      assert.deepEqual(await store.alarms.listTriggers(), [], 'a deleted rule takes its timers along');
      assert.equal(await store.alarms.deleteRule('rule-a'), false);

      const n1 = await store.alarms.addNotification({
        channel: 'mail',
        createdAt: T0,
        kind: 'raised',
        alarmIds: [1, 2],
        status: 'pending',
        attempts: 0,
        lastAttemptAt: null,
        error: null,
        summary: 's1',
      });
      const n2 = await store.alarms.addNotification({
        channel: 'hook',
        createdAt: T0,
        kind: 'test',
        alarmIds: [],
        status: 'pending',
        attempts: 0,
        lastAttemptAt: null,
        error: null,
        summary: 's2',
      });
      await store.alarms.updateNotification({
        id: n1,
        channel: 'mail',
        createdAt: T0,
        kind: 'raised',
        alarmIds: [1, 2],
        status: 'failed',
        attempts: 3,
        lastAttemptAt: T0 + 5,
        error: 'refused',
        summary: 's1',
      });
      const mail = await store.alarms.listNotifications({ limit: 10, channel: 'mail' });
      assert.deepEqual(
        mail.map((n) => [n.id, n.status, n.attempts, n.lastAttemptAt, n.error, n.alarmIds]),
        [[n1, 'failed', 3, T0 + 5, 'refused', [1, 2]]],
      );
      assert.deepEqual(
        (await store.alarms.listNotifications({ limit: 10, before: n2 })).map((n) => n.id),
        [n1],
      );
    });

    it('commits sequence state and the import checkpoint with the readings, and none of them when the batch fails', async () => {
      const state = {
        device: 'seq-1',
        epoch: 0,
        maxSeq: 3,
        lastTs: T0 + 3,
        received: 3,
        duplicates: 0,
        outOfOrder: 0,
        restarts: 0,
        gaps: [],
      } as unknown as SeqDeviceState;
      const cp = { key: 'file-a', offset: 120, line: 3, stored: 3, duplicates: 0, rejected: 0, done: false };
      const readings = [1, 2, 3].map((seq) => ({ device: 'seq-1', metric: 'v', ts: T0 + seq, value: seq, seq }));
      const bucket = { device: 'seq-1', bucket: T0, received: 3, duplicates: 1, outOfOrder: 0, restarts: 0 };
      await store.telemetry.write({
        readings,
        devices: [{ id: 'seq-1', seen: T0 + 3 }],
        rejected: [],
        sequence: { devices: [state], buckets: [bucket] },
        checkpoint: cp,
      });
      await store.telemetry.write({ readings: [], devices: [], rejected: [], sequence: { devices: [], buckets: [{ ...bucket, received: 2, duplicates: 0 }] } });
      assert.deepEqual(await store.catalog.getImportCheckpoint('file-a'), cp);
      assert.deepEqual(
        (await store.catalog.loadSequenceState()).find((s) => s.device === 'seq-1'),
        state,
      );
      assert.deepEqual(await store.catalog.sequenceStats('seq-1', T0, T0 + 60_000), { received: 5, duplicates: 1, outOfOrder: 0, restarts: 0 });
      const replay = await store.alarms.replayReadings({ device: 'seq-1', from: T0, to: T0 + 10, limit: 2 });
      assert.deepEqual(replay, readings.slice(0, 2));

      // A rejected record without its field breaks a NOT NULL: the whole batch, checkpoint included, must roll back.
      const bad = { at: T0, source: 'http', device: 'seq-1', field: null, rule: 'x', error: 'x', payload: '' } as never;
      await assert.rejects(
        store.telemetry.write({
          readings: [{ device: 'seq-1', metric: 'v', ts: T0 + 4, value: 4, seq: 4 }],
          devices: [],
          rejected: [bad],
          sequence: { devices: [{ ...state, maxSeq: 4 } as SeqDeviceState], buckets: [{ ...bucket, received: 1, duplicates: 0 }] },
          checkpoint: { ...cp, offset: 160, line: 4 },
        }),
      );
      assert.deepEqual(await store.catalog.getImportCheckpoint('file-a'), cp);
      assert.equal((await store.catalog.loadSequenceState()).find((s) => s.device === 'seq-1')?.maxSeq, 3);
      assert.equal((await store.catalog.sequenceStats('seq-1', T0, T0 + 60_000)).received, 5);
      assert.deepEqual((await store.telemetry.queryRange({ device: 'seq-1', metrics: ['v'], from: T0, to: T0 + 10, limit: 10 })).v.value, [1, 2, 3]);
      assert.equal(await store.catalog.getImportCheckpoint('nope'), null);
    });

    it('device metadata, equipment, commands, firmware, rollouts and profiles round-trip', async () => {
      await store.devices.saveEquipment({ id: 'pump-1', name: 'Pump', location: null, description: null, tags: [], createdAt: T0, updatedAt: T0 });
      await store.devices.saveDeviceMeta({ id: 'vib-1', name: 'Bearing', location: null, tags: ['b'], equipment: 'pump-1', notes: null, updatedAt: T0 });
      assert.equal(await store.devices.deleteEquipment('pump-1'), true);
      assert.deepEqual((await store.devices.listDeviceMeta()).find((m) => m.id === 'vib-1')?.equipment, null, 'members unassigned');
      assert.deepEqual(await store.devices.listEquipment(), []);

      const cmd = (id: string, status: DeviceCommand['status'], createdAt: number): DeviceCommand => ({
        id,
        device: 'vib-1',
        name: 'reboot',
        params: {},
        status,
        transport: 'mqtt',
        attempts: 1,
        createdAt,
        updatedAt: createdAt,
        deliveredAt: null,
        finishedAt: null,
        reason: null,
      });
      await store.devices.saveCommand(cmd('c1', 'pending', T0));
      await store.devices.saveCommand(cmd('c2', 'delivered', T0 + 1));
      await store.devices.saveCommand({ ...cmd('c1', 'acked', T0), attempts: 2 });
      assert.deepEqual(
        (await store.devices.listCommands('vib-1', 10)).map((c) => [c.id, c.status, c.attempts]),
        [
          ['c2', 'delivered', 1],
          ['c1', 'acked', 2],
        ],
      );
      assert.deepEqual(
        (await store.devices.openCommands()).map((c) => c.id),
        ['c2'],
      );

      // Saves of one command issued back to back, not awaited in between (delivered, then the device's ack),
      // land in call order, each as it was when saved, though the caller goes on mutating the same object.
      const racing = Array.from({ length: 20 }, (_, i) => cmd(`r${i}`, 'delivered', T0 + 10 + i));
      await Promise.all(
        racing.flatMap((c) => {
          const first = store.devices.saveCommand(c);
          c.status = 'acked';
          c.finishedAt = T0 + 99;
          return [first, store.devices.saveCommand(c)];
        }),
      );
      const saved = (await store.devices.listCommands('vib-1', 100)).filter((c) => c.id.startsWith('r'));
      assert.equal(saved.length, 20);
      assert.ok(
        saved.every((c) => c.status === 'acked' && c.finishedAt === T0 + 99),
        JSON.stringify(saved.filter((c) => c.status !== 'acked')),
      );

      await store.devices.saveFirmware({ id: 'fw1', createdAt: T0 } as never);
      await store.devices.saveRollout({ id: 'ro1', createdAt: T0 } as never);
      await store.devices.saveOtaJob({ rollout: 'ro1', device: 'vib-1', updatedAt: T0 } as never);
      assert.deepEqual(
        (await store.devices.listOtaJobs({ device: 'vib-1' })).map((j) => j.rollout),
        ['ro1'],
      );
      assert.deepEqual(await store.devices.listOtaJobs({ rollout: 'other' }), []);
      assert.equal(await store.devices.deleteFirmware('fw1'), true);
      assert.deepEqual(await store.devices.listFirmware(), []);
      assert.deepEqual(
        (await store.devices.listRollouts()).map((r) => r.id),
        ['ro1'],
      );

      const profile = { name: 'custom-x', metrics: { v: { unit: 'V' } } } as unknown as Profile;
      await store.catalog.saveProfile(profile);
      assert.deepEqual(await store.catalog.listProfiles(), [profile]);

      await store.telemetry.write({ readings: [], devices: [{ id: 'gone-1', seen: T0 }], rejected: [] });
      await store.devices.deleteDevice('gone-1');
      assert.equal(
        (await store.telemetry.listDevices()).some((d) => d.id === 'gone-1'),
        false,
      );
    });

    it('users, refresh tokens (one winner of a racing refresh), API keys, device credentials and login attempts', async () => {
      await store.auth.saveUser({ id: 'u1', username: 'ann', role: 'admin', passwordHash: 'h1', disabled: false, createdAt: T0, updatedAt: T0 });
      await store.auth.saveUser({ id: 'u1', username: 'ann', role: 'viewer', passwordHash: 'h2', disabled: true, createdAt: T0, updatedAt: T0 + 1 });
      assert.deepEqual(await store.auth.listUsers(), [
        { id: 'u1', username: 'ann', role: 'viewer', passwordHash: 'h2', disabled: true, createdAt: T0, updatedAt: T0 + 1 },
      ]);
      const far = Date.now() + 3600_000;
      await store.auth.saveRefreshToken({ hash: 't1', userId: 'u1', family: 'f1', createdAt: T0, expiresAt: far, usedAt: null });
      const wins = await Promise.all([store.auth.useRefreshToken('t1', T0 + 1), store.auth.useRefreshToken('t1', T0 + 2)]);
      assert.deepEqual(wins.filter(Boolean).length, 1);
      assert.ok((await store.auth.getRefreshToken('t1'))?.usedAt);
      await store.auth.deleteRefreshTokens({ family: 'f1' });
      assert.equal(await store.auth.getRefreshToken('t1'), undefined);
      await store.auth.saveRefreshToken({ hash: 't2', userId: 'u1', family: 'f2', createdAt: T0, expiresAt: far, usedAt: null });
      assert.equal(await store.auth.deleteUser('u1'), true);
      assert.equal(await store.auth.getRefreshToken('t2'), undefined, 'a deleted user takes their tokens along');

      await store.auth.saveApiKey({ id: 'k1', name: 'ci', role: 'operator', hash: 'kh', createdAt: T0, createdBy: null, revokedAt: null });
      await store.auth.saveApiKey({ id: 'k1', name: 'ci', role: 'operator', hash: 'ignored', createdAt: T0, createdBy: null, revokedAt: T0 + 9 });
      assert.deepEqual(await store.auth.listApiKeys(), [
        { id: 'k1', name: 'ci', role: 'operator', hash: 'kh', createdAt: T0, createdBy: null, revokedAt: T0 + 9 },
      ]);

      await store.auth.saveDeviceCredential({ device: 'dev-1', hash: 'ch1', createdAt: T0, createdBy: 'ann' });
      await store.auth.saveDeviceCredential({ device: 'dev-1', hash: 'ch2', createdAt: T0 + 1, createdBy: 'provisioned' });
      assert.deepEqual(await store.auth.listDeviceCredentials(), [{ device: 'dev-1', hash: 'ch2', createdAt: T0 + 1, createdBy: 'provisioned' }]);
      assert.equal(await store.auth.deleteDeviceCredential('dev-1'), true);
      assert.equal(await store.auth.deleteDeviceCredential('dev-1'), false);

      await store.auth.saveLoginAttempt({ key: 'ip:1', failures: 3, lastAt: T0, lockedUntil: null });
      await store.auth.saveLoginAttempt({ key: 'ip:1', failures: 4, lastAt: T0 + 1, lockedUntil: T0 + 60 });
      assert.deepEqual(await store.auth.getLoginAttempt('ip:1'), { key: 'ip:1', failures: 4, lastAt: T0 + 1, lockedUntil: T0 + 60 });
      await store.auth.deleteLoginAttempt('ip:1');
      assert.equal(await store.auth.getLoginAttempt('ip:1'), undefined);
    });
  });
}

fullStoreSuite('sqlite', async () => {
  const d = tempDir();
  const store = new SqliteStore({ path: join(d.dir, 'fieldscope.db') });
  await store.open();
  return {
    store,
    async cleanup() {
      await store.close();
      d.remove();
    },
  };
});

const { skip } = requirePostgres('full store suite on PostgreSQL');
fullStoreSuite('postgres', () => openPostgresStore(), skip);
