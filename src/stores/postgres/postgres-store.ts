import postgres, { type Sql } from 'postgres';
import type { ChangeNotice, ChangeSource, RetentionPolicy, Store } from '../store.js';
import { CHANGE_CHANNEL, parseNotice } from './change-notify.js';
import { migrations } from './migrations.js';
import { defaultRetention } from '../retention.js';
import { PgAlarmTables } from './alarm-tables.js';
import { PgDeviceTables } from './device-tables.js';
import { PgAuthTables } from './auth-tables.js';
import { PgProfileSequence } from './profile-sequence.js';
import { OID, PgTelemetry } from './telemetry-tables.js';
import { PgAuditTables } from './audit-tables.js';
import { PgRetentionTables } from './retention-tables.js';
import { PgReads } from './pg-reads.js';

export interface PostgresOptions {
  /** postgres://user@host:port/db (a password belongs in PGPASSWORD or ~/.pgpass, not here). */
  url: string;
  retention?: RetentionPolicy;
  /** Daily partitions created ahead of today. */
  partitionsAhead?: number;
  /** Connections in the pool. */
  max?: number;
  /** Time limit of one read (statement_timeout on the read pool's sessions), default 5000 ms. */
  readTimeoutMs?: number;
  /** Connections in the read pool (default 4). */
  readMax?: number;
  onReadTimeout?: (op: string, running: boolean) => void;
}

const MIGRATION_LOCK = 0x6669656c64; // "field"

/** The Store on PostgreSQL: one pool, each area in its own table module. */
export class PostgresStore implements Store {
  readonly engine = 'postgres';
  private sql!: Sql;
  telemetry!: PgTelemetry;
  alarms!: PgAlarmTables;
  devices!: PgDeviceTables;
  auth!: PgAuthTables;
  catalog!: PgProfileSequence;
  audit!: PgAuditTables;
  retention!: PgRetentionTables;
  /** Reads run on a pool of their own, with a statement timeout (pg-reads.ts). */
  private readSql: Sql | null = null;

  constructor(private readonly opts: PostgresOptions) {}

  async open(): Promise<void> {
    // Epoch-ms bigints fit a double exactly; counts too. Parse them as numbers, not strings.
    const types = { bigint: { to: OID.int8, from: [OID.int8], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } };
    this.sql = postgres(this.opts.url, { max: this.opts.max ?? 4, onnotice: () => {}, types });
    const readTimeoutMs = this.opts.readTimeoutMs ?? 5000;
    this.readSql = postgres(this.opts.url, { max: this.opts.readMax ?? 4, onnotice: () => {}, types, connection: { statement_timeout: readTimeoutMs } });
    await this.migrate();
    this.alarms = new PgAlarmTables(this.sql);
    this.devices = new PgDeviceTables(this.sql);
    this.auth = new PgAuthTables(this.sql);
    this.catalog = new PgProfileSequence(this.sql);
    this.audit = new PgAuditTables(this.sql);
    this.retention = new PgRetentionTables(this.sql);
    const reads = new PgReads(this.readSql, this.opts.retention ?? defaultRetention, readTimeoutMs);
    this.telemetry = new PgTelemetry(this.sql, this.opts, this.catalog, reads);
    await this.telemetry.init();
  }

  private async migrate(): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      const [{ v }] = await tx<{ v: number }[]>`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`;
      if (v >= migrations.length) return;
      const [{ n }] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'`;
      for (let i = v; i < migrations.length; i++) {
        await migrations[i](tx as unknown as Sql, { timescale: n > 0 });
        await tx`INSERT INTO schema_migrations (version) VALUES (${i + 1})`;
      }
    });
  }

  async close(): Promise<void> {
    await this.readSql?.end({ timeout: 5 });
    await this.sql?.end({ timeout: 5 });
  }

  /** LISTEN on its own connection, which postgres.js re-opens (and LISTENs again) after a loss. */
  readonly changes: ChangeSource = {
    listenChanges: async (onChange: (c: ChangeNotice) => void, onListen: () => void) => {
      const { unlisten } = await this.sql.listen(
        CHANGE_CHANNEL,
        (payload) => {
          const c = parseNotice(payload);
          if (c) onChange(c);
        },
        onListen,
      );
      return unlisten;
    },
  };

  async ping(): Promise<void> {
    await this.sql`SELECT 1`;
  }
}
