import type Database from 'better-sqlite3';
import type { AuditEntry, AuditQuery } from '../../model/audit.js';
import type { AuditStore } from '../store.js';

/** The audit log of the SQLite store (append-only by triggers: see migrations.ts). */
export class SqliteAuditTables implements AuditStore {
  constructor(private readonly db: Database.Database) {}

  async addAudit(e: Omit<AuditEntry, 'id'>): Promise<number> {
    return Number(
      this.db
        .prepare(
          'INSERT INTO audit_log (at, actor, role, ip, method, route, path, target, status, before, request, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(e.at, e.actor, e.role, e.ip, e.method, e.route, e.path, e.target, e.status, e.before, e.request, e.after).lastInsertRowid,
    );
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      where.push(sql);
      args.push(v);
    };
    if (q.before !== undefined) add('id < ?', q.before);
    if (q.actor !== undefined) add('actor = ?', q.actor);
    if (q.route !== undefined) {
      add('substr(route, 1, length(?)) = ?', q.route);
      args.push(q.route);
    }
    if (q.method !== undefined) add('method = ?', q.method);
    if (q.target !== undefined) add('target = ?', q.target);
    if (q.from !== undefined) add('at >= ?', q.from);
    if (q.to !== undefined) add('at <= ?', q.to);
    return this.db
      .prepare(`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit) as AuditEntry[];
  }

  async pruneAudit(before: number): Promise<number> {
    // The gate opens for entries older than the cutoff only, inside this transaction.
    return this.db.transaction(() => {
      this.db.prepare('UPDATE audit_gate SET cutoff = ? WHERE id = 1').run(before);
      try {
        return this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(before).changes;
      } finally {
        this.db.prepare('UPDATE audit_gate SET cutoff = 0 WHERE id = 1').run();
      }
    })();
  }
}
