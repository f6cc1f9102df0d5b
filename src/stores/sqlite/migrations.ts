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
];
