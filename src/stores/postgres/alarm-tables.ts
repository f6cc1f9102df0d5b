import type { Sql, TransactionSql } from 'postgres';
import type { Alarm, AlarmEvent, AlarmQuery, AlarmStats, AlarmStatus, NotificationRecord, Rule, Severity } from '../../model/alarm.js';
import { ALARM_STATUSES, SEVERITIES } from '../../model/alarm.js';
import type { Reading } from '../../model/reading.js';
import type { AlarmStore, NotificationQuery, PartitionFence, ReplayQuery, RuleWatermark, TriggerRecord } from '../store.js';
import type { ReadJob } from '../reads/protocol.js';
import { checkFencesInTx } from './partition-fence.js';
import { ALARM_INSERT_COLUMNS, alarmInsertArgs } from '../alarm-insert.js';
import { groupColumns, periodWhere, withGroups, type AlarmGroupRow, type AlarmStatsQuery } from '../alarm-stats.js';

// Column aliases give rows the model's own field names, so no per-field mapping is needed.
const ALARM_COLUMNS = `id, rule_id AS "ruleId", rule_name AS "ruleName", kind, device, metric, severity, status, raised_at AS "raisedAt",
  last_at AS "lastAt", count, first_value AS "firstValue", last_value AS "lastValue", cleared_at AS "clearedAt", cleared_by AS "clearedBy",
  acked_at AS "ackedAt", acked_by AS "ackedBy", message`;

const toAlarm = (r: Record<string, unknown>): Alarm => ({ ...r }) as unknown as Alarm;

/** The PostgreSQL side of AlarmStore; PostgresStore hands its pool in and delegates. */
export class PgAlarmTables implements AlarmStore {
  constructor(
    private readonly sql: Sql,
    /** Where a backtest's replay runs (the store's read workers): it reads up to millions of rows. */
    private readonly replay: (q: ReplayQuery) => Promise<Reading[]>,
    /** Where read jobs run: the store's read workers. */
    private readonly job: (job: ReadJob, args: unknown[]) => Promise<unknown>,
    /** Set on the view `atomically` hands out: `sql` is its transaction, and writes join it. */
    private readonly tx: TransactionSql | null = null,
  ) {}

  /** A transaction of its own, or, inside `atomically`, the one already open. */
  private begin<T>(fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
    if (this.tx) return fn(this.tx);
    return this.sql.begin(fn) as Promise<T>;
  }

  atomically<T>(fn: (tx: AlarmStore) => Promise<T>, fences?: PartitionFence[]): Promise<T> {
    if (this.tx) return fn(this);
    return this.sql.begin(async (tx) => {
      const out = await fn(new PgAlarmTables(tx as unknown as Sql, this.replay, this.job, tx));
      // Last, so the fence row is locked only while committing (a commit of the same partition waits
      // for it): a newer owner that claimed meanwhile refuses this transaction whole; one that claims
      // after waits for it, and then reads what it wrote.
      await checkFencesInTx(tx, fences);
      return out;
    }) as Promise<T>;
  }

  async saveRuleWatermarks(marks: RuleWatermark[]): Promise<void> {
    // One row per device (a statement cannot update a row twice), the newest of what was given.
    const newest = new Map<string, RuleWatermark>();
    for (const m of marks) {
      const had = newest.get(m.device);
      if (!had || had.ts < m.ts || (had.ts === m.ts && had.seq < m.seq)) newest.set(m.device, m);
    }
    if (!newest.size) return;
    const rows = [...newest.values()];
    await this.sql`
      INSERT INTO rule_watermark AS w (device, ts, seq)
      SELECT * FROM unnest(${this.sql.array(rows.map((r) => r.device))}::text[], ${this.sql.array(rows.map((r) => r.ts))}::float8[],
        ${this.sql.array(rows.map((r) => r.seq))}::int8[])
      ON CONFLICT (device) DO UPDATE SET ts = excluded.ts, seq = excluded.seq WHERE (w.ts, w.seq) < (excluded.ts, excluded.seq)`;
  }

  async loadRuleWatermarks(devices: string[]): Promise<RuleWatermark[]> {
    if (!devices.length) return [];
    const rows = await this.sql<{ device: string; ts: number; seq: number }[]>`
      SELECT device, ts, seq FROM rule_watermark WHERE device = ANY(${this.sql.array(devices)}::text[])`;
    return rows.map((r) => ({ device: r.device, ts: Number(r.ts), seq: Number(r.seq) }));
  }

  async listRules(): Promise<Rule[]> {
    return (await this.sql<{ body: string }[]>`SELECT body FROM alarm_rules ORDER BY pos`).map((r) => JSON.parse(r.body) as Rule);
  }

  async getRule(id: string): Promise<Rule | undefined> {
    const [r] = await this.sql<{ body: string }[]>`SELECT body FROM alarm_rules WHERE id = ${id}`;
    return r ? (JSON.parse(r.body) as Rule) : undefined;
  }

  async saveRule(rule: Rule): Promise<void> {
    await this.sql`INSERT INTO alarm_rules (id, body, updated) VALUES (${rule.id}, ${JSON.stringify(rule)}, ${rule.updatedAt})
      ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated = excluded.updated`;
  }

  async deleteRule(id: string): Promise<boolean> {
    return this.begin(async (tx) => {
      await tx`DELETE FROM alarm_triggers WHERE rule_id = ${id}`;
      return (await tx`DELETE FROM alarm_rules WHERE id = ${id}`).count > 0;
    });
  }

  async openAlarm(a: Omit<Alarm, 'id'>): Promise<{ alarm: Alarm; created: boolean }> {
    // One statement decides insert-or-repeat against the partial unique index, so two racing callers cannot both open one.
    return this.begin(async (tx) => {
      const [row] = await tx.unsafe(
        `INSERT INTO alarms (${ALARM_INSERT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int8, $9::int8, $10::int8, $11::float8, $12::float8, $13::int8, $14, $15::int8, $16, $17)
         ON CONFLICT (device, rule_id) WHERE cleared_at IS NULL DO UPDATE SET count = alarms.count + 1, last_value = excluded.last_value,
           last_at = greatest(alarms.last_at, excluded.last_at)
         RETURNING ${ALARM_COLUMNS}, (xmax = 0) AS created`,
        alarmInsertArgs(a) as never[],
      );
      const { created, ...alarm } = row as unknown as Record<string, unknown> & { created: boolean };
      if (created) {
        await tx`INSERT INTO alarm_events (alarm_id, at, type, "by", comment, value) VALUES (${alarm.id as number}, ${a.raisedAt}, 'raised', NULL, NULL, ${a.firstValue})`;
      }
      return { alarm: toAlarm(alarm), created };
    });
  }

  async repeatAlarm(id: number, value: number | null, at: number): Promise<void> {
    await this.sql`UPDATE alarms SET count = count + 1, last_value = ${value}, last_at = greatest(last_at, ${at}::int8) WHERE id = ${id}`;
  }

  async updateAlarm(a: Alarm, e: Omit<AlarmEvent, 'id' | 'alarmId'>): Promise<void> {
    await this.begin(async (tx) => {
      await tx`UPDATE alarms SET status = ${a.status}, cleared_at = ${a.clearedAt}, cleared_by = ${a.clearedBy}, acked_at = ${a.ackedAt},
        acked_by = ${a.ackedBy}, count = ${a.count}, last_value = ${a.lastValue}, last_at = ${a.lastAt} WHERE id = ${a.id}`;
      await tx`INSERT INTO alarm_events (alarm_id, at, type, "by", comment, value) VALUES (${a.id}, ${e.at}, ${e.type}, ${e.by}, ${e.comment}, ${e.value})`;
    });
  }

  async getAlarm(id: number): Promise<Alarm | undefined> {
    const [r] = await this.sql.unsafe(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = $1`, [id]);
    return r && toAlarm(r);
  }

  async listAlarms(q: AlarmQuery): Promise<Alarm[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown, cast: string) => (args.push(v), `$${args.length}::${cast}`);
    if (q.status?.length) where.push(`status = ANY(${arg(this.sql.array(q.status), 'text[]')})`);
    if (q.severity?.length) where.push(`severity = ANY(${arg(this.sql.array(q.severity), 'text[]')})`);
    if (q.device !== undefined) where.push(`device = ${arg(q.device, 'text')}`);
    if (q.ruleId !== undefined) where.push(`rule_id = ${arg(q.ruleId, 'text')}`);
    if (q.origin !== undefined) where.push(q.origin === 'system' ? "kind = 'system'" : "kind <> 'system'");
    if (q.from !== undefined) where.push(`raised_at >= ${arg(q.from, 'int8')}`);
    if (q.to !== undefined) where.push(`raised_at <= ${arg(q.to, 'int8')}`);
    const limit = arg(q.limit, 'int8');
    const rows = await this.sql.unsafe(
      `SELECT ${ALARM_COLUMNS} FROM alarms ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY raised_at DESC, id DESC LIMIT ${limit}`,
      args as never[],
    );
    return rows.map(toAlarm);
  }

  async activeAlarms(): Promise<Alarm[]> {
    return (await this.sql.unsafe(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE cleared_at IS NULL ORDER BY id`)).map(toAlarm);
  }

  async alarmStats(q: AlarmStatsQuery = {}): Promise<AlarmStats> {
    const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    const stats: AlarmStats = { total: 0, open: 0, byStatus: zero(ALARM_STATUSES), bySeverity: zero(SEVERITIES), openBySeverity: zero(SEVERITIES) };
    const { where, args } = periodWhere(q, (i) => `$${i}`);
    for (const r of await this.sql.unsafe<{ status: AlarmStatus; severity: Severity; n: number }[]>(
      `SELECT status, severity, count(*)::int AS n FROM alarms ${where} GROUP BY status, severity`,
      args,
    )) {
      stats.total += r.n;
      stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + r.n;
      stats.bySeverity[r.severity] = (stats.bySeverity[r.severity] ?? 0) + r.n;
      if (r.status.startsWith('active')) {
        stats.open += r.n;
        stats.openBySeverity[r.severity] = (stats.openBySeverity[r.severity] ?? 0) + r.n;
      }
    }
    const cols = groupColumns((e) => `(${e})::float8`);
    const limit = q.limit ?? 50;
    const lim = `$${args.length + 1}`;
    const [all] = await this.sql.unsafe<AlarmGroupRow[]>(`SELECT NULL AS key, NULL AS name, ${cols} FROM alarms ${where}`, args);
    const rules = await this.sql.unsafe<AlarmGroupRow[]>(
      `SELECT rule_id AS key, max(rule_name) AS name, ${cols} FROM alarms ${where} GROUP BY rule_id ORDER BY n DESC, key LIMIT ${lim}`,
      [...args, limit],
    );
    const devices = await this.sql.unsafe<AlarmGroupRow[]>(
      `SELECT device AS key, NULL AS name, ${cols} FROM alarms ${where} GROUP BY device ORDER BY n DESC, key LIMIT ${lim}`,
      [...args, limit],
    );
    const [distinct] = await this.sql.unsafe<{ rules: number; devices: number }[]>(
      `SELECT count(DISTINCT rule_id)::int AS rules, count(DISTINCT device)::int AS devices FROM alarms ${where}`,
      args,
    );
    return withGroups(stats, q, all, [...rules], [...devices], distinct);
  }

  async listAlarmEvents(alarmId: number): Promise<AlarmEvent[]> {
    const rows = await this.sql`SELECT id, alarm_id AS "alarmId", at, type, "by", comment, value FROM alarm_events WHERE alarm_id = ${alarmId} ORDER BY id`;
    return rows.map((r) => ({ ...r }) as unknown as AlarmEvent);
  }

  async saveTrigger(t: TriggerRecord): Promise<void> {
    if (t.phase === 'normal') await this.sql`DELETE FROM alarm_triggers WHERE rule_id = ${t.ruleId} AND device = ${t.device}`;
    else
      await this.sql`INSERT INTO alarm_triggers (rule_id, device, phase, since) VALUES (${t.ruleId}, ${t.device}, ${t.phase}, ${t.since})
        ON CONFLICT (rule_id, device) DO UPDATE SET phase = excluded.phase, since = excluded.since`;
  }

  async listTriggers(): Promise<TriggerRecord[]> {
    const rows = await this.sql`SELECT rule_id AS "ruleId", device, phase, since FROM alarm_triggers`;
    return rows.map((r) => ({ ...r }) as unknown as TriggerRecord);
  }

  async addNotification(n: NotificationRecord): Promise<number> {
    const [r] = await this.sql<{ id: number }[]>`
      INSERT INTO notifications (channel, created_at, kind, alarm_ids, status, attempts, last_attempt_at, error, summary)
      VALUES (${n.channel}, ${n.createdAt}, ${n.kind}, ${JSON.stringify(n.alarmIds)}, ${n.status}, ${n.attempts}, ${n.lastAttemptAt}, ${n.error}, ${n.summary})
      RETURNING id`;
    return r.id;
  }

  async updateNotification(n: NotificationRecord & { id: number }): Promise<void> {
    await this.sql`UPDATE notifications SET status = ${n.status}, attempts = ${n.attempts}, last_attempt_at = ${n.lastAttemptAt}, error = ${n.error}
      WHERE id = ${n.id}`;
  }

  async listNotifications(q: NotificationQuery): Promise<NotificationRecord[]> {
    const rows = await this.sql<
      {
        id: number;
        channel: string;
        created_at: number;
        kind: string;
        alarm_ids: string;
        status: NotificationRecord['status'];
        attempts: number;
        last_attempt_at: number | null;
        error: string | null;
        summary: string;
      }[]
    >`
      SELECT * FROM notifications
      WHERE (${q.channel ?? null}::text IS NULL OR channel = ${q.channel ?? null}::text) AND (${q.before ?? null}::int8 IS NULL OR id < ${q.before ?? null}::int8)
      ORDER BY id DESC LIMIT ${q.limit}`;
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      createdAt: r.created_at,
      kind: r.kind,
      alarmIds: JSON.parse(r.alarm_ids) as number[],
      status: r.status,
      attempts: r.attempts,
      lastAttemptAt: r.last_attempt_at,
      error: r.error,
      summary: r.summary,
    }));
  }

  replayReadings(q: ReplayQuery): Promise<Reading[]> {
    return this.replay(q);
  }

  async runReadJob<T>(job: ReadJob, args: unknown[]): Promise<T> {
    return (await this.job(job, args)) as T;
  }
}
