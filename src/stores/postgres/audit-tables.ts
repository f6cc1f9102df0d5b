import type { Sql } from 'postgres';
import type { AuditEntry, AuditQuery } from '../../model/audit.js';
import type { AuditStore } from '../store.js';

const COLUMNS = 'id, at, actor, role, ip, method, route, path, target, status, before, request, after';

/** The audit log of the PostgreSQL store (append-only by trigger: see migrations.ts). */
export class PgAuditTables implements AuditStore {
  constructor(private readonly sql: Sql) {}

  async addAudit(e: Omit<AuditEntry, 'id'>): Promise<number> {
    const [r] = await this.sql<{ id: number }[]>`
      INSERT INTO audit_log (at, actor, role, ip, method, route, path, target, status, before, request, after)
      VALUES (${e.at}, ${e.actor}, ${e.role}, ${e.ip}, ${e.method}, ${e.route}, ${e.path}, ${e.target}, ${e.status}, ${e.before}, ${e.request}, ${e.after})
      RETURNING id`;
    return r.id;
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown, cast: string) => (args.push(v), `$${args.length}::${cast}`);
    if (q.before !== undefined) where.push(`id < ${arg(q.before, 'int8')}`);
    if (q.actor !== undefined) where.push(`actor = ${arg(q.actor, 'text')}`);
    if (q.route !== undefined) where.push(`starts_with(route, ${arg(q.route, 'text')})`);
    if (q.method !== undefined) where.push(`method = ${arg(q.method, 'text')}`);
    if (q.target !== undefined) where.push(`target = ${arg(q.target, 'text')}`);
    if (q.from !== undefined) where.push(`at >= ${arg(q.from, 'int8')}`);
    if (q.to !== undefined) where.push(`at <= ${arg(q.to, 'int8')}`);
    const limit = arg(q.limit, 'int8');
    return (await this.sql.unsafe(
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`,
      args as never[],
    )) as unknown as AuditEntry[];
  }

  async pruneAudit(before: number): Promise<number> {
    return this.sql.begin(async (tx) => {
      // Local to this transaction: the trigger lets through deletes of entries older than this only.
      await tx`SELECT set_config('fieldscope.audit_prune_before', ${String(before)}, true)`;
      const r = await tx`DELETE FROM audit_log WHERE at < ${before}`;
      return r.count;
    });
  }
}
