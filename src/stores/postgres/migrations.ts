import { changeNotifyMigration, otaChangeNotifyMigration } from './change-notify.js';
import { partitionFenceMigration } from './partition-fence.js';
import { blobMigration } from './blob-tables.js';
import { writeBatchesMigration } from './batch-ids.js';
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
  // Everything besides telemetry, as SQLite migrations 2, 3, 5 and 6 have it: profiles, sequence accounting, import
  // progress, alarms, device administration and auth. Bodies read whole are kept as JSON text beside their keys.
  async (sql) => {
    await sql.unsafe(`
      CREATE TABLE profiles (name text PRIMARY KEY, body text NOT NULL, updated bigint NOT NULL);
      CREATE TABLE seq_state (device text PRIMARY KEY, state text NOT NULL);
      CREATE TABLE seq_stats (
        device text NOT NULL,
        bucket bigint NOT NULL,
        received bigint NOT NULL DEFAULT 0,
        duplicates bigint NOT NULL DEFAULT 0,
        out_of_order bigint NOT NULL DEFAULT 0,
        restarts bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (device, bucket)
      );
      CREATE TABLE import_progress (key text PRIMARY KEY, state text NOT NULL);

      -- pos keeps rules in the order they were first saved (SQLite's rowid order).
      CREATE TABLE alarm_rules (id text PRIMARY KEY, body text NOT NULL, updated bigint NOT NULL, pos bigserial NOT NULL);
      CREATE TABLE alarms (
        id bigserial PRIMARY KEY,
        rule_id text NOT NULL,
        rule_name text NOT NULL,
        kind text NOT NULL,
        device text NOT NULL,
        metric text,
        severity text NOT NULL,
        status text NOT NULL,
        raised_at bigint NOT NULL,
        last_at bigint NOT NULL,
        count bigint NOT NULL,
        first_value float8,
        last_value float8,
        cleared_at bigint,
        cleared_by text,
        acked_at bigint,
        acked_by text,
        message text NOT NULL
      );
      -- At most one open (not yet cleared) alarm per (device, rule), whatever the engine does.
      CREATE UNIQUE INDEX alarms_one_open ON alarms (device, rule_id) WHERE cleared_at IS NULL;
      CREATE INDEX alarms_raised ON alarms (raised_at);
      CREATE INDEX alarms_device ON alarms (device, raised_at);
      CREATE TABLE alarm_events (
        id bigserial PRIMARY KEY,
        alarm_id bigint NOT NULL,
        at bigint NOT NULL,
        type text NOT NULL,
        "by" text,
        comment text,
        value float8
      );
      CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, id);
      CREATE TABLE alarm_triggers (rule_id text NOT NULL, device text NOT NULL, phase text NOT NULL, since bigint, PRIMARY KEY (rule_id, device));
      CREATE TABLE notifications (
        id bigserial PRIMARY KEY,
        channel text NOT NULL,
        created_at bigint NOT NULL,
        kind text NOT NULL,
        alarm_ids text NOT NULL,
        status text NOT NULL,
        attempts int NOT NULL,
        last_attempt_at bigint,
        error text,
        summary text NOT NULL
      );
      CREATE INDEX notifications_channel ON notifications (channel, id);

      CREATE TABLE device_meta (id text PRIMARY KEY, equipment text, body text NOT NULL);
      CREATE INDEX device_meta_equipment ON device_meta (equipment);
      CREATE TABLE equipment (id text PRIMARY KEY, body text NOT NULL);
      CREATE TABLE device_commands (id text PRIMARY KEY, device text NOT NULL, status text NOT NULL, created bigint NOT NULL, body text NOT NULL);
      CREATE INDEX device_commands_device ON device_commands (device, created);
      CREATE INDEX device_commands_open ON device_commands (status) WHERE status IN ('pending', 'delivered');
      CREATE TABLE firmware (id text PRIMARY KEY, created bigint NOT NULL, body text NOT NULL);
      CREATE TABLE ota_rollouts (id text PRIMARY KEY, created bigint NOT NULL, body text NOT NULL);
      CREATE TABLE ota_jobs (rollout text NOT NULL, device text NOT NULL, updated bigint NOT NULL, body text NOT NULL, PRIMARY KEY (rollout, device));
      CREATE INDEX ota_jobs_device ON ota_jobs (device, updated);

      -- Every secret is stored as a hash.
      CREATE TABLE users (
        id text PRIMARY KEY,
        username text NOT NULL UNIQUE,
        role text NOT NULL,
        password_hash text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE refresh_tokens (
        hash text PRIMARY KEY,
        user_id text NOT NULL,
        family text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint
      );
      CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL,
        hash text NOT NULL,
        created_at bigint NOT NULL,
        created_by text,
        revoked_at bigint
      );
      CREATE TABLE device_credentials (device text PRIMARY KEY, hash text NOT NULL UNIQUE, created_at bigint NOT NULL, created_by text NOT NULL);
      CREATE TABLE login_attempts (key text PRIMARY KEY, failures int NOT NULL, last_at bigint NOT NULL, locked_until bigint);
    `);
  },
  // A reading's identity becomes (series, ts, seq), as in SQLite migration 7: two messages of one device
  // stamped with the same time are two readings. seq is -1 where the device sent none.
  async (sql) => {
    await sql.unsafe(`
      ALTER TABLE readings DROP CONSTRAINT readings_pkey;
      UPDATE readings SET seq = -1 WHERE seq IS NULL;
      ALTER TABLE readings ALTER COLUMN seq SET DEFAULT -1, ALTER COLUMN seq SET NOT NULL;
      ALTER TABLE readings ADD PRIMARY KEY (series, ts, seq);
    `);
  },
  // The audit log, append-only: a trigger refuses UPDATE and TRUNCATE, and DELETE except of entries
  // older than the cutoff the retention job sets for its own transaction (fieldscope.audit_prune_before).
  async (sql) => {
    await sql.unsafe(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        actor text NOT NULL,
        role text,
        ip text NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        path text NOT NULL,
        target text,
        status int NOT NULL,
        before text,
        request text,
        after text
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_actor ON audit_log (actor, id);
      CREATE FUNCTION fieldscope_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < coalesce(nullif(current_setting('fieldscope.audit_prune_before', true), '')::bigint, 0) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION fieldscope_audit_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION fieldscope_audit_append_only();
    `);
  },
  // Views for Grafana's PostgreSQL data source: a supported interface (docs/grafana.md), kept stable
  // across releases: columns are only ever added. Each has a timestamptz "time" column and names
  // (device, metric), not internal ids; ts_ms (epoch ms) beside it lets a query filter on the
  // indexed column so partitions are pruned.
  async (sql) => {
    await sql.unsafe(`
      CREATE VIEW grafana_readings AS
        SELECT to_timestamp(r.ts / 1000.0) AS time, r.ts AS ts_ms, s.device, s.metric, r.value, nullif(r.seq, -1) AS seq
        FROM readings r JOIN series s ON s.id = r.series;
      CREATE VIEW grafana_rollup_1m AS
        SELECT to_timestamp(r.bucket / 1000.0) AS time, r.bucket AS ts_ms, s.device, s.metric,
          r.v_min AS min, r.v_max AS max, r.v_sum / r.n AS avg, r.n AS count, r.first_v AS first, r.last_v AS last
        FROM rollup_1m r JOIN series s ON s.id = r.series;
      CREATE VIEW grafana_rollup_1h AS
        SELECT to_timestamp(r.bucket / 1000.0) AS time, r.bucket AS ts_ms, s.device, s.metric,
          r.v_min AS min, r.v_max AS max, r.v_sum / r.n AS avg, r.n AS count, r.first_v AS first, r.last_v AS last
        FROM rollup_1h r JOIN series s ON s.id = r.series;
      CREATE VIEW grafana_latest AS
        SELECT s.device, s.metric, to_timestamp(s.last_ts / 1000.0) AS time, s.last_value AS value
        FROM series s WHERE s.last_ts IS NOT NULL;
      CREATE VIEW grafana_devices AS
        SELECT d.id AS device, d.profile, to_timestamp(d.first_seen / 1000.0) AS first_seen, to_timestamp(d.last_seen / 1000.0) AS last_seen
        FROM devices d;
      CREATE VIEW grafana_alarms AS
        SELECT a.id, to_timestamp(a.raised_at / 1000.0) AS time, a.raised_at AS ts_ms,
          to_timestamp(a.cleared_at / 1000.0) AS cleared_time, to_timestamp(a.acked_at / 1000.0) AS acked_time,
          CASE WHEN a.kind = 'system' THEN 'system' ELSE 'device' END AS origin,
          a.device, a.metric, a.rule_id, a.rule_name AS rule, a.kind, a.severity, a.status,
          a.status IN ('active_unacked', 'active_acked') AS active, a.count, a.first_value, a.last_value, a.acked_by, a.cleared_by, a.message
        FROM alarms a;
      CREATE VIEW grafana_rules AS
        SELECT r.id, b->>'name' AS name, (b->>'enabled')::boolean AS enabled, b->>'severity' AS severity, b->>'scope' AS scope,
          b->>'target' AS target, b->>'kind' AS kind, b->>'metric' AS metric, b->>'op' AS op,
          (b->>'value')::float8 AS value, (b->>'low')::float8 AS low, (b->>'high')::float8 AS high
        FROM alarm_rules r CROSS JOIN LATERAL (SELECT r.body::jsonb AS b) j;
      CREATE VIEW grafana_sequence_1m AS
        SELECT to_timestamp(q.bucket / 1000.0) AS time, q.bucket AS ts_ms, q.device, q.received, q.duplicates, q.out_of_order, q.restarts
        FROM seq_stats q;
      CREATE VIEW grafana_sequence_gaps AS
        SELECT q.device, (g->>'fromSeq')::bigint AS from_seq, (g->>'toSeq')::bigint AS to_seq,
          (g->>'toSeq')::bigint - (g->>'fromSeq')::bigint + 1 AS missing,
          to_timestamp((g->>'fromTs')::float8 / 1000.0) AS from_time, to_timestamp((g->>'toTs')::float8 / 1000.0) AS to_time
        FROM seq_state q CROSS JOIN LATERAL jsonb_array_elements(q.state::jsonb->'gaps') g;
      CREATE VIEW grafana_rejected AS
        SELECT to_timestamp(x.at / 1000.0) AS time, x.at AS ts_ms, x.source, x.device, x.field, x.rule, x.error
        FROM rejected x;
    `);
  },
  // Every node's caches follow the shared tables (src/cluster/change-feed.ts, docs/scale-out.md).
  changeNotifyMigration,
  // Per-device raw retention and retention holds (imported history), as SQLite migration 9 has them.
  async (sql) => {
    await sql.unsafe(`
      CREATE TABLE device_retention (device text PRIMARY KEY, raw_ms bigint NOT NULL);
      CREATE TABLE retention_holds (
        device text NOT NULL,
        reason text NOT NULL,
        from_ts bigint NOT NULL,
        to_ts bigint NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (device, reason)
      );
    `);
  },
  // Microsecond time (as SQLite migration 10): ts stays the whole epoch millisecond, so daily
  // partitions, hypertable chunks, rollup buckets, retention and Grafana's ts_ms are unchanged; us is
  // the microsecond within it and joins the key. Adding a column with a constant default rewrites no
  // row: existing readings read back at us = 0. series.last_ts (the latest reading's time) becomes
  // float8 ms, which holds any µs time exactly; the view over it is dropped and made again for that.
  async (sql) => {
    await sql.unsafe(`
      ALTER TABLE readings ADD COLUMN us int NOT NULL DEFAULT 0 CONSTRAINT readings_us_range CHECK (us BETWEEN 0 AND 999);
      ALTER TABLE readings DROP CONSTRAINT readings_pkey;
      ALTER TABLE readings ADD PRIMARY KEY (series, ts, us, seq);
      DROP VIEW grafana_latest;
      ALTER TABLE series ALTER COLUMN last_ts TYPE float8;
      CREATE VIEW grafana_latest AS
        SELECT s.device, s.metric, timestamptz 'epoch' + round(s.last_ts * 1000) * interval '1 microsecond' AS time, s.last_value AS value
        FROM series s WHERE s.last_ts IS NOT NULL;
      CREATE OR REPLACE VIEW grafana_readings AS
        SELECT timestamptz 'epoch' + (r.ts * 1000 + r.us) * interval '1 microsecond' AS time, r.ts AS ts_ms, s.device, s.metric, r.value,
          nullif(r.seq, -1) AS seq, r.us
        FROM readings r JOIN series s ON s.id = r.series;
    `);
  },
  async (sql) => {
    // Topic mappings added through the API (the config file's are not stored).
    await sql`CREATE TABLE IF NOT EXISTS topic_mappings (id text PRIMARY KEY, created int8 NOT NULL, body text NOT NULL)`;
  },
  // Mappings changed through any node's API reach every node (the change-feed migration ran before this table existed).
  async (sql) => {
    await sql.unsafe(`
      DROP TRIGGER IF EXISTS topic_mappings_changed ON topic_mappings;
      CREATE TRIGGER topic_mappings_changed AFTER INSERT OR UPDATE OR DELETE ON topic_mappings
        FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('mapping', 'id');
    `);
  },
  // Cluster mode: commits fenced by the partition lease that consumed them (src/cluster/, docs/scale-out.md).
  partitionFenceMigration,
  // OTA rollouts created or reported to through any node reach the node that drives them (src/devices/ota.ts).
  otaChangeNotifyMigration,
  // Cluster mode: each device's last judged message, written with the alarm state it produced, so a
  // node taking a partition over judges what the last owner committed but did not judge (src/alarms/engine.ts).
  // Devices already stored count as judged up to their newest reading.
  async (sql) => {
    await sql.unsafe(`
      CREATE TABLE rule_watermark (device text PRIMARY KEY, ts float8 NOT NULL, seq int8 NOT NULL);
      INSERT INTO rule_watermark (device, ts, seq)
        SELECT device, max(last_ts), 9007199254740991 FROM series WHERE last_ts IS NOT NULL GROUP BY device;
    `);
  },
  // Firmware images and model bundles in the store, so every node serves them (docs/scale-out.md, "What is shared").
  blobMigration,
  // Batch ids committed with their batches: the replay of one whose answer was lost writes nothing twice (batch-ids.ts).
  writeBatchesMigration,
];
