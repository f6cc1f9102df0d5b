import type { AlarmGroupStats, AlarmStats } from '../model/alarm.js';

/** The period and size asked of alarmStats: raisedAt in [from, to), at most `limit` rules and devices listed. */
export interface AlarmStatsQuery {
  from?: number;
  to?: number;
  limit?: number;
}

/** One aggregate row, as both stores' SQL answers it (numbers as numbers). */
export interface AlarmGroupRow {
  key: string | null;
  name: string | null;
  n: number;
  occ: number | null;
  open: number | null;
  acked: number | null;
  ack_mean: number | null;
  ack_max: number | null;
  clear_mean: number | null;
  clear_max: number | null;
}

/**
 * The SELECT list of the per-group figures, the same in SQLite and PostgreSQL (`cast` is how each
 * turns an aggregate into a plain number: PostgreSQL's are bigint/numeric).
 */
export function groupColumns(cast: (expr: string) => string): string {
  const n = (e: string) => cast(e);
  return [
    `${n('count(*)')} AS n`,
    `${n('sum(count)')} AS occ`,
    `${n('sum(CASE WHEN cleared_at IS NULL THEN 1 ELSE 0 END)')} AS open`,
    `${n('sum(CASE WHEN acked_at IS NOT NULL THEN 1 ELSE 0 END)')} AS acked`,
    `${n('avg(acked_at - raised_at)')} AS ack_mean`,
    `${n('max(acked_at - raised_at)')} AS ack_max`,
    `${n('avg(cleared_at - raised_at)')} AS clear_mean`,
    `${n('max(cleared_at - raised_at)')} AS clear_max`,
  ].join(', ');
}

/** The WHERE clause on raised_at for the period, with its arguments in order; `p(i)` writes the i-th placeholder. */
export function periodWhere(q: AlarmStatsQuery, p: (i: number) => string): { where: string; args: number[] } {
  const parts: string[] = [];
  const args: number[] = [];
  if (q.from !== undefined) {
    args.push(q.from);
    parts.push(`raised_at >= ${p(args.length)}`);
  }
  if (q.to !== undefined) {
    args.push(q.to);
    parts.push(`raised_at < ${p(args.length)}`);
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export function groupOf(r: AlarmGroupRow): Omit<AlarmGroupStats, 'key' | 'name'> {
  const n = Number(r.n ?? 0);
  const open = Number(r.open ?? 0);
  const acked = Number(r.acked ?? 0);
  const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));
  return {
    count: n,
    occurrences: Number(r.occ ?? 0),
    open,
    acked,
    toAck: { count: acked, meanMs: num(r.ack_mean), maxMs: num(r.ack_max) },
    toClear: { count: n - open, meanMs: num(r.clear_mean), maxMs: num(r.clear_max) },
  };
}

/** Adds the period's per-rule and per-device figures to the counts by status and severity. */
export function withGroups(
  base: AlarmStats,
  q: AlarmStatsQuery,
  all: AlarmGroupRow | undefined,
  rules: AlarmGroupRow[],
  devices: AlarmGroupRow[],
  distinct: { rules: number; devices: number },
): AlarmStats {
  const overall = groupOf(all ?? { key: null, name: null, n: 0, occ: 0, open: 0, acked: 0, ack_mean: null, ack_max: null, clear_mean: null, clear_max: null });
  return {
    ...base,
    from: q.from ?? null,
    to: q.to ?? null,
    toAck: overall.toAck,
    toClear: overall.toClear,
    byRule: rules.map((r) => ({ key: String(r.key), name: r.name, ...groupOf(r) })),
    byDevice: devices.map((r) => ({ key: String(r.key), name: null, ...groupOf(r) })),
    rules: Number(distinct.rules),
    devices: Number(distinct.devices),
  };
}
