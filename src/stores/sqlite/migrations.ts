/** Versioned schema: each entry runs once, in order, tracked by PRAGMA user_version. */
export const migrations: string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    profile TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );
  -- One row per (device, metric): readings refer to it by a small integer, and it keeps the latest value.
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    metric TEXT NOT NULL,
    last_ts INTEGER,
    last_value REAL,
    UNIQUE (device, metric)
  );
  -- (series, ts) is a reading's identity: a replayed or re-imported reading is ignored, not doubled.
  CREATE TABLE readings (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    seq INTEGER,
    PRIMARY KEY (series, ts)
  ) WITHOUT ROWID;
  CREATE TABLE rejected (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    device TEXT,
    field TEXT NOT NULL,
    rule TEXT NOT NULL,
    error TEXT NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE INDEX rejected_device ON rejected (device, id);
  `,
  `
  -- Profiles added through the API; the shipped and folder ones are read from files at start.
  CREATE TABLE profiles (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated INTEGER NOT NULL);
  -- Sequence accounting: one row of state (JSON, with the open gaps) per device...
  CREATE TABLE seq_state (device TEXT PRIMARY KEY, state TEXT NOT NULL);
  -- ...and counters per device per minute of device time, so completeness can be asked of any window.
  CREATE TABLE seq_stats (
    device TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    out_of_order INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, bucket)
  ) WITHOUT ROWID;
  -- Bulk import progress per file, written in the same transaction as the rows it covers.
  CREATE TABLE import_progress (key TEXT PRIMARY KEY, state TEXT NOT NULL);
  `,
  `
  -- Alarm rules, kept whole as JSON: the engine reads them all at start and on every change.
  CREATE TABLE alarm_rules (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated INTEGER NOT NULL);
  CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    device TEXT NOT NULL,
    metric TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    first_value REAL,
    last_value REAL,
    cleared_at INTEGER,
    cleared_by TEXT,
    acked_at INTEGER,
    acked_by TEXT,
    message TEXT NOT NULL
  );
  -- At most one open (not yet cleared) alarm per (device, rule), whatever the engine does.
  CREATE UNIQUE INDEX alarms_one_open ON alarms (device, rule_id) WHERE cleared_at IS NULL;
  CREATE INDEX alarms_raised ON alarms (raised_at);
  CREATE INDEX alarms_device ON alarms (device, raised_at);
  CREATE TABLE alarm_events (
    id INTEGER PRIMARY KEY,
    alarm_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    by TEXT,
    comment TEXT,
    value REAL
  );
  CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, id);
  -- On-delay / off-delay state per (rule, device), so pending timers survive a restart.
  CREATE TABLE alarm_triggers (
    rule_id TEXT NOT NULL,
    device TEXT NOT NULL,
    phase TEXT NOT NULL,
    since INTEGER,
    PRIMARY KEY (rule_id, device)
  ) WITHOUT ROWID;
  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    alarm_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at INTEGER,
    error TEXT,
    summary TEXT NOT NULL
  );
  CREATE INDEX notifications_channel ON notifications (channel, id);
  `,
  `
  -- Rollups kept as data arrives, in the write transaction: sum and count (not avg) so late data merges exactly.
  CREATE TABLE rollup_1m (
    series INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    v_min REAL NOT NULL,
    v_max REAL NOT NULL,
    v_sum REAL NOT NULL,
    v_sum_sq REAL NOT NULL,
    n INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    first_v REAL NOT NULL,
    last_ts INTEGER NOT NULL,
    last_v REAL NOT NULL,
    PRIMARY KEY (series, bucket)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_1h (
    series INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    v_min REAL NOT NULL,
    v_max REAL NOT NULL,
    v_sum REAL NOT NULL,
    v_sum_sq REAL NOT NULL,
    n INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    first_v REAL NOT NULL,
    last_ts INTEGER NOT NULL,
    last_v REAL NOT NULL,
    PRIMARY KEY (series, bucket)
  ) WITHOUT ROWID;
  -- Rollups for readings already stored before this migration.
  INSERT INTO rollup_1m SELECT series, ts - ts % 60000, min(value), max(value), sum(value), sum(value * value), count(*),
    min(ts), 0, max(ts), 0 FROM readings GROUP BY series, ts - ts % 60000;
  UPDATE rollup_1m SET first_v = (SELECT value FROM readings r WHERE r.series = rollup_1m.series AND r.ts = rollup_1m.first_ts),
    last_v = (SELECT value FROM readings r WHERE r.series = rollup_1m.series AND r.ts = rollup_1m.last_ts);
  INSERT INTO rollup_1h SELECT series, ts - ts % 3600000, min(value), max(value), sum(value), sum(value * value), count(*),
    min(ts), 0, max(ts), 0 FROM readings GROUP BY series, ts - ts % 3600000;
  UPDATE rollup_1h SET first_v = (SELECT value FROM readings r WHERE r.series = rollup_1h.series AND r.ts = rollup_1h.first_ts),
    last_v = (SELECT value FROM readings r WHERE r.series = rollup_1h.series AND r.ts = rollup_1h.last_ts);
  `,
  `
  -- Device metadata, equipment, commands, firmware and OTA rollouts: read whole, so kept as JSON beside the keys they are found by.
  CREATE TABLE device_meta (id TEXT PRIMARY KEY, equipment TEXT, body TEXT NOT NULL);
  CREATE INDEX device_meta_equipment ON device_meta (equipment);
  CREATE TABLE equipment (id TEXT PRIMARY KEY, body TEXT NOT NULL);
  CREATE TABLE device_commands (id TEXT PRIMARY KEY, device TEXT NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE INDEX device_commands_device ON device_commands (device, created);
  CREATE INDEX device_commands_open ON device_commands (status) WHERE status IN ('pending', 'delivered');
  CREATE TABLE firmware (id TEXT PRIMARY KEY, created INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE ota_rollouts (id TEXT PRIMARY KEY, created INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE ota_jobs (rollout TEXT NOT NULL, device TEXT NOT NULL, updated INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (rollout, device));
  CREATE INDEX ota_jobs_device ON ota_jobs (device, updated);
  `,
  `
  -- Users, sessions, machine keys, device credentials and failed sign-ins. Every secret is stored as a hash.
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE refresh_tokens (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    family TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
  CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT,
    revoked_at INTEGER
  );
  CREATE TABLE device_credentials (
    device TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
  );
  CREATE TABLE login_attempts (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL, locked_until INTEGER);
  `,
  `
  -- A reading's identity becomes (series, ts, seq): two messages of one device stamped with the same
  -- time (a device clock in whole seconds sending twice a second) are two readings, not a duplicate.
  -- seq is -1 where the device sent none (a WITHOUT ROWID key cannot hold NULL).
  CREATE TABLE readings_by_seq (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    seq INTEGER NOT NULL DEFAULT -1,
    value REAL NOT NULL,
    PRIMARY KEY (series, ts, seq)
  ) WITHOUT ROWID;
  INSERT INTO readings_by_seq (series, ts, seq, value) SELECT series, ts, coalesce(seq, -1), value FROM readings;
  DROP TABLE readings;
  ALTER TABLE readings_by_seq RENAME TO readings;
  `,
  `
  -- The audit log: who changed what through the API, from where. Append-only: the triggers refuse
  -- any UPDATE, and any DELETE except of entries older than the cutoff the retention job sets in
  -- audit_gate (0 the rest of the time, so nothing at all can be deleted then).
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    ip TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    path TEXT NOT NULL,
    target TEXT,
    status INTEGER NOT NULL,
    before TEXT,
    request TEXT,
    after TEXT
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  CREATE INDEX audit_log_actor ON audit_log (actor, id);
  CREATE TABLE audit_gate (id INTEGER PRIMARY KEY CHECK (id = 1), cutoff INTEGER NOT NULL);
  INSERT INTO audit_gate (id, cutoff) VALUES (1, 0);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN OLD.at >= (SELECT cutoff FROM audit_gate WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only entries past retention may be deleted'); END;
  CREATE TRIGGER audit_gate_keep BEFORE DELETE ON audit_gate
    BEGIN SELECT RAISE(ABORT, 'audit_gate must keep its row'); END;
  `,
  `
  -- Raw retention set per device through the API (the profile's or the default applies otherwise).
  CREATE TABLE device_retention (device TEXT PRIMARY KEY, raw_ms INTEGER NOT NULL);
  -- Ranges of a device's time that retention never deletes: imported history, which a user loads
  -- precisely because it is old. One row per (device, reason), widened as an import goes on.
  CREATE TABLE retention_holds (
    device TEXT NOT NULL,
    reason TEXT NOT NULL,
    from_ts INTEGER NOT NULL,
    to_ts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (device, reason)
  );
  `,
  `
  -- Microsecond time: a 2 kHz sensor samples every 0.5 ms. ts stays the whole epoch millisecond (rollup
  -- buckets, retention and completeness count in ms) and us is the microsecond within it (0-999); a
  -- reading's identity is (series, ts, us, seq). Existing rows are copied whole, at us = 0.
  CREATE TABLE readings_us (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    us INTEGER NOT NULL DEFAULT 0 CHECK (us BETWEEN 0 AND 999),
    seq INTEGER NOT NULL DEFAULT -1,
    value REAL NOT NULL,
    PRIMARY KEY (series, ts, us, seq)
  ) WITHOUT ROWID;
  INSERT INTO readings_us (series, ts, us, seq, value) SELECT series, ts, 0, seq, value FROM readings;
  DROP TABLE readings;
  ALTER TABLE readings_us RENAME TO readings;
  `,
  `
  -- Topic mappings added through the API (the config file's are not stored).
  CREATE TABLE IF NOT EXISTS topic_mappings (id TEXT PRIMARY KEY, created INTEGER NOT NULL, body TEXT NOT NULL);
  `,
  `
  -- Stored files (firmware images, model bundle files), as on PostgreSQL where several nodes serve
  -- them: one row per file, its bytes in fixed-size chunks each with its own sha256. An upload's
  -- chunks are written first and become a file only when its row is inserted.
  CREATE TABLE blobs (
    key TEXT PRIMARY KEY,
    upload TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    chunk_bytes INTEGER NOT NULL,
    created INTEGER NOT NULL
  );
  CREATE TABLE blob_chunks (
    upload TEXT NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    sha256 BLOB NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (upload, n)
  );
  -- Uploaded and fitted model bundles (their files are blobs) and each slot's activation history.
  CREATE TABLE model_bundles (id TEXT PRIMARY KEY, created INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE model_activations (slot TEXT PRIMARY KEY, history TEXT NOT NULL);
  -- The profiles' rule-pack rules installed once (was <data>/alarms/rule-packs.json, one per node).
  CREATE TABLE rule_packs_installed (id TEXT PRIMARY KEY);
  `,
  `
  -- Ids of the latest committed telemetry batches (WriteBatch.id), written in the batch's own
  -- transaction: a spooled batch whose commit did happen (its answer lost) is not written twice.
  CREATE TABLE write_batches (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);
  `,
  `
  -- Readings in two tables of one key (storage.md, "Readings land in a small table first"): a commit
  -- of live data adds to readings_recent, small enough that a few dozen pages hold every series'
  -- newest rows, and moves one slice of series from it to readings_settled, where each series' rows
  -- then fill whole pages; a dense batch (an import) goes to readings_settled at once. A reading is
  -- in exactly one of them. Reads go through the view: with the ORDER BY columns selected, SQLite
  -- walks both keys and merges them.
  ALTER TABLE readings RENAME TO readings_settled;
  CREATE TABLE readings_recent (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    us INTEGER NOT NULL DEFAULT 0 CHECK (us BETWEEN 0 AND 999),
    seq INTEGER NOT NULL DEFAULT -1,
    value REAL NOT NULL,
    PRIMARY KEY (series, ts, us, seq)
  ) WITHOUT ROWID;
  CREATE VIEW readings AS
    SELECT series, ts, us, seq, value FROM readings_settled UNION ALL SELECT series, ts, us, seq, value FROM readings_recent;
  `,
];
