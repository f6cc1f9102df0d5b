import type { Sql } from 'postgres';

export interface MigrationEnv {
  /** The timescaledb extension can be created in this database. */
  timescale: boolean;
}

/** Versioned schema: each entry runs once, in order, in one transaction, recorded in schema_migrations. */
export const migrations: ((sql: Sql, env: MigrationEnv) => Promise<void>)[] = [
  async (sql, env) => {
    await sql.unsafe(`
      CREATE TABLE devices (
        id text PRIMARY KEY,
        profile text,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL
      );
      CREATE TABLE series (
        id serial PRIMARY KEY,
        device text NOT NULL,
        metric text NOT NULL,
        last_ts bigint,
        last_value float8,
        UNIQUE (device, metric)
      );
      CREATE TABLE rejected (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        source text NOT NULL,
        device text,
        field text NOT NULL,
        rule text NOT NULL,
        error text NOT NULL,
        payload text NOT NULL
      );
      CREATE INDEX rejected_device ON rejected (device, id);
    `);
    for (const table of ['rollup_1m', 'rollup_1h']) {
      await sql.unsafe(`
        CREATE TABLE ${table} (
          series int NOT NULL,
          bucket bigint NOT NULL,
          v_min float8 NOT NULL,
          v_max float8 NOT NULL,
          v_sum float8 NOT NULL,
          v_sum_sq float8 NOT NULL,
          n bigint NOT NULL,
          first_ts bigint NOT NULL,
          first_v float8 NOT NULL,
          last_ts bigint NOT NULL,
          last_v float8 NOT NULL,
          PRIMARY KEY (series, bucket)
        )`);
    }
    if (env.timescale) {
      // Untested here (no TimescaleDB in CI): a hypertable of one-day chunks, compressed after a day.
      await sql.unsafe(`
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        CREATE TABLE readings (series int NOT NULL, ts bigint NOT NULL, value float8 NOT NULL, seq bigint, PRIMARY KEY (series, ts));
        SELECT create_hypertable('readings', 'ts', chunk_time_interval => 86400000);
        CREATE FUNCTION fieldscope_now_ms() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;
        SELECT set_integer_now_func('readings', 'fieldscope_now_ms');
        ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'series', timescaledb.compress_orderby = 'ts');
        SELECT add_compression_policy('readings', 86400000::bigint);
      `);
    } else {
      // Daily partitions (created ahead and on demand, dropped by retention); BRIN suits time-ordered appends.
      await sql.unsafe(`
        CREATE TABLE readings (series int NOT NULL, ts bigint NOT NULL, value float8 NOT NULL, seq bigint, PRIMARY KEY (series, ts))
          PARTITION BY RANGE (ts);
        CREATE INDEX readings_ts_brin ON readings USING brin (ts);
      `);
    }
  },
];
