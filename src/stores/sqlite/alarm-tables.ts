import type Database from 'better-sqlite3';
import type { Alarm, AlarmEvent, AlarmQuery, AlarmStats, AlarmStatus, NotificationRecord, Rule, Severity } from '../../model/alarm.js';
import { ALARM_STATUSES, SEVERITIES } from '../../model/alarm.js';
import type { Reading } from '../../model/reading.js';
import type { AlarmStore, NotificationQuery, ReplayQuery, TriggerRecord } from '../store.js';
import type { ReadJob } from '../reads/protocol.js';
import { ALARM_INSERT_COLUMNS, alarmInsertArgs } from '../alarm-insert.js';
import { groupColumns, periodWhere, withGroups, type AlarmGroupRow, type AlarmStatsQuery } from '../alarm-stats.js';

interface AlarmRow {
  id: number;
  rule_id: string;
  rule_name: string;
  kind: string;
  device: string;
  metric: string | null;
  severity: string;
  status: string;
  raised_at: number;
  last_at: number;
  count: number;
  first_value: number | null;
  last_value: number | null;
  cleared_at: number | null;
  cleared_by: string | null;
  acked_at: number | null;
  acked_by: string | null;
  message: string;
}

const toAlarm = (r: AlarmRow): Alarm => ({
  id: r.id,
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  kind: r.kind as Alarm['kind'],
  device: r.device,
  metric: r.metric,
  severity: r.severity as Severity,
  status: r.status as AlarmStatus,
  raisedAt: r.raised_at,
  lastAt: r.last_at,
  count: r.count,
  firstValue: r.first_value,
  lastValue: r.last_value,
  clearedAt: r.cleared_at,
  clearedBy: r.cleared_by,
  ackedAt: r.acked_at,
  ackedBy: r.acked_by,
  message: r.message,
});

interface NotificationRow {
  id: number;
  channel: string;
  created_at: number;
  kind: string;
  alarm_ids: string;
  status: string;
  attempts: number;
  last_attempt_at: number | null;
  error: string | null;
  summary: string;
}

/** The SQLite side of AlarmStore; SqliteStore hands its connection in and delegates. */
export class SqliteAlarmTables implements AlarmStore {
  private readonly openTx: (a: Omit<Alarm, 'id'>) => { alarm: Alarm; created: boolean };
  private readonly updateTx: (a: Alarm, e: Omit<AlarmEvent, 'id' | 'alarmId'>) => void;

  constructor(
    private readonly db: Database.Database,
    /** Where a backtest's replay runs (the store's read workers, or inline for an in-memory database): it reads up to millions of rows. */
    private readonly replay?: (q: ReplayQuery) => Promise<Reading[]>,
    /** Where read jobs run (the store's read workers, or inline for an in-memory database). */
    private readonly job?: (job: ReadJob, args: unknown[]) => Promise<unknown>,
  ) {
    this.openTx = db.transaction((a: Omit<Alarm, 'id'>) => {
      const open = db.prepare('SELECT * FROM alarms WHERE device = ? AND rule_id = ? AND cleared_at IS NULL').get(a.device, a.ruleId) as AlarmRow | undefined;
      if (open) {
        db.prepare('UPDATE alarms SET count = count + 1, last_value = ?, last_at = max(last_at, ?) WHERE id = ?').run(a.lastValue, a.lastAt, open.id);
        return { alarm: toAlarm(db.prepare('SELECT * FROM alarms WHERE id = ?').get(open.id) as AlarmRow), created: false };
      }
      const id = Number(
        db.prepare(`INSERT INTO alarms (${ALARM_INSERT_COLUMNS}) VALUES (${ALARM_INSERT_COLUMNS.split(',').fill('?').join(', ')})`).run(...alarmInsertArgs(a))
          .lastInsertRowid,
      );
      db.prepare('INSERT INTO alarm_events (alarm_id, at, type, by, comment, value) VALUES (?, ?, ?, NULL, NULL, ?)').run(
        id,
        a.raisedAt,
        'raised',
        a.firstValue,
      );
      return { alarm: { ...a, id }, created: true };
    });
    this.updateTx = db.transaction((a: Alarm, e: Omit<AlarmEvent, 'id' | 'alarmId'>) => {
      db.prepare(
        'UPDATE alarms SET status = ?, cleared_at = ?, cleared_by = ?, acked_at = ?, acked_by = ?, count = ?, last_value = ?, last_at = ? WHERE id = ?',
      ).run(a.status, a.clearedAt, a.clearedBy, a.ackedAt, a.ackedBy, a.count, a.lastValue, a.lastAt, a.id);
      db.prepare('INSERT INTO alarm_events (alarm_id, at, type, by, comment, value) VALUES (?, ?, ?, ?, ?, ?)').run(
        a.id,
        e.at,
        e.type,
        e.by,
        e.comment,
        e.value,
      );
    });
  }

  async listRules(): Promise<Rule[]> {
    return (this.db.prepare('SELECT body FROM alarm_rules ORDER BY rowid').pluck().all() as string[]).map((b) => JSON.parse(b) as Rule);
  }

  async getRule(id: string): Promise<Rule | undefined> {
    const body = this.db.prepare('SELECT body FROM alarm_rules WHERE id = ?').pluck().get(id) as string | undefined;
    return body ? (JSON.parse(body) as Rule) : undefined;
  }

  async saveRule(rule: Rule): Promise<void> {
    this.db
      .prepare('INSERT INTO alarm_rules (id, body, updated) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated = excluded.updated')
      .run(rule.id, JSON.stringify(rule), rule.updatedAt);
  }

  async deleteRule(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM alarm_triggers WHERE rule_id = ?').run(id);
      return this.db.prepare('DELETE FROM alarm_rules WHERE id = ?').run(id).changes > 0;
    })();
  }

  async openAlarm(alarm: Omit<Alarm, 'id'>): Promise<{ alarm: Alarm; created: boolean }> {
    return this.openTx(alarm);
  }

  async repeatAlarm(id: number, value: number | null, at: number): Promise<void> {
    this.db.prepare('UPDATE alarms SET count = count + 1, last_value = ?, last_at = max(last_at, ?) WHERE id = ?').run(value, at, id);
  }

  async updateAlarm(alarm: Alarm, event: Omit<AlarmEvent, 'id' | 'alarmId'>): Promise<void> {
    this.updateTx(alarm, event);
  }

  async getAlarm(id: number): Promise<Alarm | undefined> {
    const row = this.db.prepare('SELECT * FROM alarms WHERE id = ?').get(id) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  async listAlarms(q: AlarmQuery): Promise<Alarm[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.status?.length) {
      where.push(`status IN (${q.status.map(() => '?').join(',')})`);
      args.push(...q.status);
    }
    if (q.severity?.length) {
      where.push(`severity IN (${q.severity.map(() => '?').join(',')})`);
      args.push(...q.severity);
    }
    if (q.device !== undefined) {
      where.push('device = ?');
      args.push(q.device);
    }
    if (q.ruleId !== undefined) {
      where.push('rule_id = ?');
      args.push(q.ruleId);
    }
    if (q.origin !== undefined) where.push(q.origin === 'system' ? "kind = 'system'" : "kind <> 'system'");
    if (q.from !== undefined) {
      where.push('raised_at >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('raised_at <= ?');
      args.push(q.to);
    }
    const sql = `SELECT * FROM alarms ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY raised_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as AlarmRow[]).map(toAlarm);
  }

  async activeAlarms(): Promise<Alarm[]> {
    return (this.db.prepare('SELECT * FROM alarms WHERE cleared_at IS NULL ORDER BY id').all() as AlarmRow[]).map(toAlarm);
  }

  async alarmStats(q: AlarmStatsQuery = {}): Promise<AlarmStats> {
    const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    const stats: AlarmStats = { total: 0, open: 0, byStatus: zero(ALARM_STATUSES), bySeverity: zero(SEVERITIES), openBySeverity: zero(SEVERITIES) };
    const { where, args } = periodWhere(q, () => '?');
    for (const r of this.db.prepare(`SELECT status, severity, count(*) AS n FROM alarms ${where} GROUP BY status, severity`).all(...args) as {
      status: AlarmStatus;
      severity: Severity;
      n: number;
    }[]) {
      stats.total += r.n;
      stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + r.n;
      stats.bySeverity[r.severity] = (stats.bySeverity[r.severity] ?? 0) + r.n;
      if (r.status.startsWith('active')) {
        stats.open += r.n;
        stats.openBySeverity[r.severity] = (stats.openBySeverity[r.severity] ?? 0) + r.n;
      }
    }
    const cols = groupColumns((e) => e);
    const limit = q.limit ?? 50;
    const all = this.db.prepare(`SELECT NULL AS key, NULL AS name, ${cols} FROM alarms ${where}`).get(...args) as AlarmGroupRow | undefined;
    const rules = this.db
      .prepare(`SELECT rule_id AS key, max(rule_name) AS name, ${cols} FROM alarms ${where} GROUP BY rule_id ORDER BY n DESC, key LIMIT ?`)
      .all(...args, limit) as AlarmGroupRow[];
    const devices = this.db
      .prepare(`SELECT device AS key, NULL AS name, ${cols} FROM alarms ${where} GROUP BY device ORDER BY n DESC, key LIMIT ?`)
      .all(...args, limit) as AlarmGroupRow[];
    const distinct = this.db.prepare(`SELECT count(DISTINCT rule_id) AS rules, count(DISTINCT device) AS devices FROM alarms ${where}`).get(...args) as {
      rules: number;
      devices: number;
    };
    return withGroups(stats, q, all, rules, devices, distinct);
  }

  async listAlarmEvents(alarmId: number): Promise<AlarmEvent[]> {
    return this.db
      .prepare('SELECT id, alarm_id AS alarmId, at, type, by, comment, value FROM alarm_events WHERE alarm_id = ? ORDER BY id')
      .all(alarmId) as AlarmEvent[];
  }

  async saveTrigger(t: TriggerRecord): Promise<void> {
    if (t.phase === 'normal') this.db.prepare('DELETE FROM alarm_triggers WHERE rule_id = ? AND device = ?').run(t.ruleId, t.device);
    else
      this.db
        .prepare(
          'INSERT INTO alarm_triggers (rule_id, device, phase, since) VALUES (?, ?, ?, ?) ON CONFLICT (rule_id, device) DO UPDATE SET phase = excluded.phase, since = excluded.since',
        )
        .run(t.ruleId, t.device, t.phase, t.since);
  }

  async listTriggers(): Promise<TriggerRecord[]> {
    return this.db.prepare('SELECT rule_id AS ruleId, device, phase, since FROM alarm_triggers').all() as TriggerRecord[];
  }

  async addNotification(n: NotificationRecord): Promise<number> {
    return Number(
      this.db
        .prepare(
          'INSERT INTO notifications (channel, created_at, kind, alarm_ids, status, attempts, last_attempt_at, error, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(n.channel, n.createdAt, n.kind, JSON.stringify(n.alarmIds), n.status, n.attempts, n.lastAttemptAt, n.error, n.summary).lastInsertRowid,
    );
  }

  async updateNotification(n: NotificationRecord & { id: number }): Promise<void> {
    this.db
      .prepare('UPDATE notifications SET status = ?, attempts = ?, last_attempt_at = ?, error = ? WHERE id = ?')
      .run(n.status, n.attempts, n.lastAttemptAt, n.error, n.id);
  }

  async listNotifications(q: NotificationQuery): Promise<NotificationRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.channel !== undefined) {
      where.push('channel = ?');
      args.push(q.channel);
    }
    if (q.before !== undefined) {
      where.push('id < ?');
      args.push(q.before);
    }
    const rows = this.db
      .prepare(`SELECT * FROM notifications ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit) as NotificationRow[];
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      createdAt: r.created_at,
      kind: r.kind,
      alarmIds: JSON.parse(r.alarm_ids) as number[],
      status: r.status as NotificationRecord['status'],
      attempts: r.attempts,
      lastAttemptAt: r.last_attempt_at,
      error: r.error,
      summary: r.summary,
    }));
  }

  async runReadJob<T>(job: ReadJob, args: unknown[]): Promise<T> {
    if (!this.job) throw new Error('this store was opened without a read runner');
    return (await this.job(job, args)) as T;
  }

  async replayReadings(q: ReplayQuery): Promise<Reading[]> {
    if (!this.replay) throw new Error('this store was opened without a read runner');
    return this.replay(q);
  }
}
