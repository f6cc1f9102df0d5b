import type { TopicMapping } from './sources/mappings/topic-mappings.js';
import type { SerialIntegrity } from './sources/serial/serial-frame.js';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { AnonymousRole } from './model/auth.js';
import { MAX_RETENTION_HOURS } from './model/retention.js';

/** Everything Fieldscope can be told, in one typed object: defaults < file < env < flags. */
export interface Config {
  host: string;
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  simulator: boolean;
  simDevices: number;
  simRateHz: number;
  /** Extra profile files (JSON or YAML) to load beside the shipped ones. */
  profilesDir: string | null;
  /** Largest accepted payload, bytes. */
  maxPayloadBytes: number;
  /** A device with no message for this long is offline, unless its profile says otherwise. */
  offlineAfterMs: number;
  /** Readings are written in batches of at most this many (a batch is whatever arrived while the store was busy). */
  batchMaxReadings: number;
  /**
   * With the SQLite writer thread, how long a commit under load may wait to fill (Batcher lingerMs):
   * bigger commits, less CPU per message. 0: none.
   */
  batchLingerMs: number;
  logLevel: string;
  /** 'sqlite' (embedded, in the data directory) or a postgres://user@host:port/db URL. */
  store: string;
  /** Raw readings are kept this long... */
  retentionRawHours: number;
  /** ...1-minute rollups this long... */
  retentionMinuteDays: number;
  /** ...and 1-hour rollups this long. */
  retentionHourDays: number;
  /** Raw retention (hours) per profile, over the profile file's rawRetentionHours: {"vibration": 8760}. */
  retentionRawHoursByProfile: Record<string, number>;
  /** Raw retention (hours) per device, over its profile's; the API's per-device setting wins over this. */
  retentionRawHoursByDevice: Record<string, number>;
  /** When set, one CSV per UTC day is written here by the daily export job. */
  exportDir: string | null;
  /** Model bundles in seed 003's layout <equipment_id>/<power>/<model_version>/ (docs/models.md). */
  models: string | null;
  /** Seed 003's SERVE_ML_ENABLE_XGB: a bundle folder's bare `xgb.json` serves as the classifier behind the anomaly gate. */
  modelsXgb: boolean;
  /** Most bytes the spool may hold while the store is down; past it, senders get an error. */
  spoolMaxBytes: number;
  /** SQLite: free disk space under which /health says the store is degraded and the WAL is truncated. */
  storeMinFreeBytes: number;
  /** An external MQTT broker (mqtt://host:port or mqtts://) to subscribe to instead of embedding one. */
  broker: string | null;
  brokerUsername: string | null;
  /** File holding the broker password (FIELDSCOPE_BROKER_PASSWORD is read too; never a flag). */
  brokerPasswordFile: string | null;
  brokerCa: string | null;
  brokerCert: string | null;
  brokerKey: string | null;
  /** MQTT client id for the external broker; stable so the persistent session survives restarts. */
  brokerClientId: string | null;
  /** Serial devices: `PATH[:BAUD]=DEVICE_ID`, comma-separated (the CLI builds it from --serial/--serial-device); joins sources.serial. */
  serial: string | null;
  /** Source sections by type (`sources.serial[]`, ...): see src/sources/registry.ts. */
  sources: Record<string, unknown> | null;
  /** Base URL devices use to reach this server (OTA image downloads); default the HTTP listen address. */
  publicUrl: string | null;
  /** A command not answered within this long is sent again... */
  commandAckTimeoutMs: number;
  /** ...until sent this many times; then it has timed out. */
  commandMaxAttempts: number;
  /** Largest firmware image accepted, bytes. */
  maxFirmwareBytes: number;
  /** Live analytics: metric vector per profile for the L2 norm (JSON object profile -> metric names). */
  l2Vectors: Record<string, string[]>;
  /** Live analytics: rolling window of the z-score, ms (10 s steps, at most 15 min). */
  zWindowMs: number;
  /** What serial links ask of a frame's CRC unless a port says otherwise (PATH=DEVICE@crc|optional|none). */
  serialIntegrity: SerialIntegrity;
  /** Install each profile's alarm rules on the first start that sees the profile (then they are ordinary rules). */
  rulePacks: boolean;
  /** A fleet's own MQTT topics and how to read them (JSON list of { topic, device?, metrics?, profile?, name? }). */
  topicMappings: TopicMapping[];
  /** Notification channels: webhook target; its signing secret comes from FIELDSCOPE_WEBHOOK_SECRET or this file. */
  webhookUrl: string | null;
  webhookSecretFile: string | null;
  /** Slack incoming-webhook URL (it holds a token): FIELDSCOPE_SLACK_WEBHOOK_URL or this file. */
  slackWebhookUrlFile: string | null;
  /** Slack as a bot (chat.postMessage): the bot token comes from FIELDSCOPE_SLACK_BOT_TOKEN or this file... */
  slackBotTokenFile: string | null;
  /** ...posting to this channel id, channel name or user id (a user id opens a direct message). */
  slackChannel: string | null;
  /** Base URL of the Slack Web API (a stand-in's in tests, or a proxy). */
  slackApiUrl: string;
  /** Email over SMTP; the password comes from FIELDSCOPE_SMTP_PASSWORD or smtpPasswordFile. */
  smtpHost: string | null;
  smtpPort: number;
  /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
  smtpSecure: boolean;
  smtpUser: string | null;
  smtpPasswordFile: string | null;
  emailFrom: string;
  /** Recipients, comma-separated. */
  emailTo: string | null;
  /** Per-channel policy (JSON): { "<channel>": { severities, groupWindowMs, minIntervalMs, renotifyAfterMs, retries, backoffMs } }. */
  notifications: Record<string, unknown> | null;
  /** Channel sections by type (`notify.teams`, `notify.slack`, ...): see src/notify/registry.ts. */
  notify: Record<string, unknown> | null;
  /** Role of a caller with no credentials: none|viewer|operator|admin. Anything but none only on a loopback host (tests, demos). */
  anonymousRole: AnonymousRole;
  /** Demo mode, loopback only: anonymous callers may read (viewer) and devices may connect to MQTT without a token. */
  insecureLocal: boolean;
  /** A device with no credential connecting to MQTT: reject it, or register its password as its token (trust on first use). */
  unknownDevices: 'reject' | 'provision';
  /**
   * First start only: file holding the password of the user `admin` (FIELDSCOPE_ADMIN_PASSWORD is
   * read too; never a flag). Without either, a random one is made and shown once.
   */
  adminPasswordFile: string | null;
  /** Certificate and key (PEM files): HTTPS and MQTTS instead of HTTP and MQTT. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** Origins allowed to call the API from a browser, comma-separated; none by default. */
  corsOrigin: string | null;
  /** API requests per second per IP and per user (0 = no limit)... */
  apiRatePerSec: number;
  /** ...with bursts of this many. */
  apiRateBurst: number;
  /** Messages per second per device, MQTT and HTTP (0 = no limit)... */
  deviceRatePerSec: number;
  /** ...with bursts of this many. */
  deviceRateBurst: number;
  /** Failed sign-ins (per IP and per user name) after which each attempt must wait longer... */
  loginSlowAfter: number;
  /** ...and after which the IP or name is locked for loginLockMs. */
  loginLockAfter: number;
  loginLockMs: number;
  /** First wait once sign-ins are slowed, ms; it doubles with each further failure. */
  loginSlowMs: number;
  /** Lifetime of an access token, ms. */
  accessTokenTtlMs: number;
  /**
   * Embedded broker, open MQTT connections at most; null: the process's open-file limit less 1024, so
   * HTTP, the store and the spool always have descriptors left.
   */
  mqttMaxConnections: number | null;
  /** Open MQTT connections per remote address (0 = no limit). */
  mqttMaxConnectionsPerIp: number;
  /** Connections that have not yet been accepted by CONNECT, all addresses together (0 = no limit). */
  mqttMaxPending: number;
  /** MQTT served by this many listener processes instead of the in-process broker (0 = in-process): docs/many-devices.md. */
  mqttListeners: number;
  /** A connection that has not sent CONNECT (and been accepted) within this long is closed, ms. */
  mqttConnectTimeoutMs: number;
  /** Largest MQTT packet before CONNECT is accepted, bytes: what an unauthenticated socket can make the server hold. */
  mqttConnectMaxBytes: number;
  /** Largest MQTT packet once signed in, bytes; null: maxPayloadBytes + 64 KiB, at least 1 MiB. */
  mqttMaxPacketBytes: number | null;
  /** Time limit of one read of history (queueing included), ms; past it the read is cancelled and answers 503. */
  readTimeoutMs: number;
  /** SQLite: worker threads serving reads, each with a read-only connection. */
  readWorkers: number;
  /** SQLite: telemetry commits on a writer thread of their own (false: on the main thread, as before; for comparison). */
  sqliteWriterThread: boolean;
  /** SQLite's `synchronous`: "full" syncs the WAL in every commit (an acknowledged reading survives a power cut); "normal" only at checkpoints. */
  sqliteSynchronous: string;
  /** Most readings one request may return; more answers 413 naming limit, n or points. */
  readMaxRows: number;
  /** History reads running at once, in all... */
  readConcurrency: number;
  /** ...and per caller (user, API key or IP). */
  readConcurrencyPerCaller: number;
  /** Readings per second a caller may read, on average (0 = no limit)... */
  readRowsPerSec: number;
  /** ...with bursts of this many. */
  readRowsBurst: number;
  /** System alarms: how often their conditions are checked, ms... */
  systemCheckMs: number;
  /** ...the spool alarms above this fraction of spoolMaxBytes... */
  spoolAlarmRatio: number;
  /** ...and the disk below this fraction of free space on the data directory's file system. */
  diskAlarmFreeRatio: number;
  /** Audit log entries are kept this many days (0: forever). */
  auditRetentionDays: number;
  /**
   * Cluster mode (docs/scale-out.md): NATS server URLs, comma-separated. The node consumes the
   * device partitions it holds a lease on; null: the single-process default.
   */
  cluster: string | null;
  /** Partitions of device telemetry; must equal the `{{partition(N,1)}}` mapping of the NATS servers. */
  clusterPartitions: number;
  /** This node's name in the lease bucket (unique per live node); null: host name and process id. */
  clusterNodeId: string | null;
  /** A lease not renewed for this long expires and its partition moves, ms. */
  clusterLeaseMs: number;
  /** Replicas of the partition streams and the lease bucket (the NATS cluster's size, at most 5). */
  clusterReplicas: number;
}

export const defaults: Config = {
  host: '127.0.0.1',
  httpPort: 8080,
  mqttPort: 1883,
  dataDir: './data',
  simulator: true,
  simDevices: 4,
  simRateHz: 1,
  profilesDir: null,
  maxPayloadBytes: 256 * 1024,
  offlineAfterMs: 60_000,
  batchMaxReadings: 5000,
  batchLingerMs: 4,
  cluster: null,
  clusterPartitions: 8,
  clusterNodeId: null,
  clusterLeaseMs: 3000,
  clusterReplicas: 3,
  logLevel: 'warn',
  store: 'sqlite',
  retentionRawHours: 48,
  retentionMinuteDays: 30,
  retentionHourDays: 730,
  retentionRawHoursByProfile: {},
  retentionRawHoursByDevice: {},
  exportDir: null,
  models: null,
  modelsXgb: false,
  spoolMaxBytes: 1024 * 1024 * 1024,
  storeMinFreeBytes: 64 * 1024 * 1024,
  broker: null,
  brokerUsername: null,
  brokerPasswordFile: null,
  brokerCa: null,
  brokerCert: null,
  brokerKey: null,
  brokerClientId: null,
  serial: null,
  sources: null,
  publicUrl: null,
  commandAckTimeoutMs: 10_000,
  commandMaxAttempts: 3,
  maxFirmwareBytes: 64 * 1024 * 1024,
  l2Vectors: { factory: ['temperature', 'humidity', 'vibration', 'sound'] },
  zWindowMs: 300_000,
  webhookUrl: null,
  webhookSecretFile: null,
  slackWebhookUrlFile: null,
  slackBotTokenFile: null,
  slackChannel: null,
  slackApiUrl: 'https://slack.com/api',
  smtpHost: null,
  smtpPort: 587,
  smtpSecure: false,
  smtpUser: null,
  smtpPasswordFile: null,
  emailFrom: 'fieldscope@localhost',
  emailTo: null,
  notifications: null,
  topicMappings: [],
  rulePacks: true,
  serialIntegrity: 'optional',
  notify: null,
  anonymousRole: 'none',
  insecureLocal: true,
  unknownDevices: 'reject',
  adminPasswordFile: null,
  tlsCert: null,
  tlsKey: null,
  corsOrigin: null,
  apiRatePerSec: 100,
  apiRateBurst: 500,
  deviceRatePerSec: 1000,
  deviceRateBurst: 2000,
  loginSlowAfter: 3,
  loginLockAfter: 10,
  loginLockMs: 15 * 60_000,
  loginSlowMs: 1000,
  accessTokenTtlMs: 15 * 60_000,
  mqttMaxConnections: null,
  mqttMaxConnectionsPerIp: 1000,
  mqttMaxPending: 500,
  mqttListeners: 0,
  mqttConnectTimeoutMs: 10_000,
  mqttConnectMaxBytes: 16 * 1024,
  mqttMaxPacketBytes: null,
  readTimeoutMs: 5000,
  readWorkers: 3,
  sqliteWriterThread: true,
  sqliteSynchronous: 'full',
  readMaxRows: 200_000,
  readConcurrency: 16,
  readConcurrencyPerCaller: 4,
  readRowsPerSec: 1_000_000,
  readRowsBurst: 2_000_000,
  systemCheckMs: 5000,
  spoolAlarmRatio: 0.8,
  diskAlarmFreeRatio: 0.05,
  auditRetentionDays: 365,
};

type Kind = 'string' | 'int' | 'bool' | 'float' | 'json';
/** Every option with its env name and type: one table drives env and flag parsing. */
export const options: Record<keyof Config, { env: string; flag: string; kind: Kind }> = {
  host: { env: 'FIELDSCOPE_HOST', flag: 'host', kind: 'string' },
  httpPort: { env: 'FIELDSCOPE_HTTP_PORT', flag: 'http-port', kind: 'int' },
  mqttPort: { env: 'FIELDSCOPE_MQTT_PORT', flag: 'mqtt-port', kind: 'int' },
  dataDir: { env: 'FIELDSCOPE_DATA', flag: 'data', kind: 'string' },
  simulator: { env: 'FIELDSCOPE_SIMULATOR', flag: 'simulator', kind: 'bool' },
  simDevices: { env: 'FIELDSCOPE_SIM_DEVICES', flag: 'sim-devices', kind: 'int' },
  simRateHz: { env: 'FIELDSCOPE_SIM_RATE', flag: 'sim-rate', kind: 'float' },
  profilesDir: { env: 'FIELDSCOPE_PROFILES', flag: 'profiles', kind: 'string' },
  maxPayloadBytes: { env: 'FIELDSCOPE_MAX_PAYLOAD', flag: 'max-payload', kind: 'int' },
  offlineAfterMs: { env: 'FIELDSCOPE_OFFLINE_AFTER_MS', flag: 'offline-after-ms', kind: 'int' },
  batchMaxReadings: { env: 'FIELDSCOPE_BATCH_MAX', flag: 'batch-max', kind: 'int' },
  batchLingerMs: { env: 'FIELDSCOPE_BATCH_LINGER_MS', flag: 'batch-linger-ms', kind: 'int' },
  logLevel: { env: 'FIELDSCOPE_LOG_LEVEL', flag: 'log-level', kind: 'string' },
  store: { env: 'FIELDSCOPE_STORE', flag: 'store', kind: 'string' },
  retentionRawHours: { env: 'FIELDSCOPE_RETENTION_RAW_HOURS', flag: 'retention-raw-hours', kind: 'float' },
  retentionMinuteDays: { env: 'FIELDSCOPE_RETENTION_1M_DAYS', flag: 'retention-1m-days', kind: 'float' },
  retentionHourDays: { env: 'FIELDSCOPE_RETENTION_1H_DAYS', flag: 'retention-1h-days', kind: 'float' },
  retentionRawHoursByProfile: { env: 'FIELDSCOPE_RETENTION_RAW_HOURS_BY_PROFILE', flag: 'retention-raw-hours-by-profile', kind: 'json' },
  retentionRawHoursByDevice: { env: 'FIELDSCOPE_RETENTION_RAW_HOURS_BY_DEVICE', flag: 'retention-raw-hours-by-device', kind: 'json' },
  exportDir: { env: 'FIELDSCOPE_EXPORT_DIR', flag: 'export-dir', kind: 'string' },
  models: { env: 'FIELDSCOPE_MODELS', flag: 'models', kind: 'string' },
  modelsXgb: { env: 'FIELDSCOPE_MODELS_XGB', flag: 'models-xgb', kind: 'bool' },
  spoolMaxBytes: { env: 'FIELDSCOPE_SPOOL_MAX_BYTES', flag: 'spool-max-bytes', kind: 'int' },
  storeMinFreeBytes: { env: 'FIELDSCOPE_STORE_MIN_FREE_BYTES', flag: 'store-min-free-bytes', kind: 'int' },
  broker: { env: 'FIELDSCOPE_BROKER', flag: 'broker', kind: 'string' },
  brokerUsername: { env: 'FIELDSCOPE_BROKER_USERNAME', flag: 'broker-username', kind: 'string' },
  brokerPasswordFile: { env: 'FIELDSCOPE_BROKER_PASSWORD_FILE', flag: 'broker-password-file', kind: 'string' },
  brokerCa: { env: 'FIELDSCOPE_BROKER_CA', flag: 'broker-ca', kind: 'string' },
  brokerCert: { env: 'FIELDSCOPE_BROKER_CERT', flag: 'broker-cert', kind: 'string' },
  brokerKey: { env: 'FIELDSCOPE_BROKER_KEY', flag: 'broker-key', kind: 'string' },
  brokerClientId: { env: 'FIELDSCOPE_BROKER_CLIENT_ID', flag: 'broker-client-id', kind: 'string' },
  serial: { env: 'FIELDSCOPE_SERIAL', flag: 'serial-ports', kind: 'string' },
  sources: { env: 'FIELDSCOPE_SOURCES', flag: 'sources', kind: 'json' },
  publicUrl: { env: 'FIELDSCOPE_PUBLIC_URL', flag: 'public-url', kind: 'string' },
  commandAckTimeoutMs: { env: 'FIELDSCOPE_COMMAND_ACK_TIMEOUT_MS', flag: 'command-ack-timeout-ms', kind: 'int' },
  commandMaxAttempts: { env: 'FIELDSCOPE_COMMAND_MAX_ATTEMPTS', flag: 'command-max-attempts', kind: 'int' },
  maxFirmwareBytes: { env: 'FIELDSCOPE_MAX_FIRMWARE', flag: 'max-firmware', kind: 'int' },
  l2Vectors: { env: 'FIELDSCOPE_L2_VECTORS', flag: 'l2-vectors', kind: 'json' },
  zWindowMs: { env: 'FIELDSCOPE_Z_WINDOW_MS', flag: 'z-window-ms', kind: 'int' },
  serialIntegrity: { env: 'FIELDSCOPE_SERIAL_INTEGRITY', flag: 'serial-integrity', kind: 'string' },
  rulePacks: { env: 'FIELDSCOPE_RULE_PACKS', flag: 'rule-packs', kind: 'bool' },
  topicMappings: { env: 'FIELDSCOPE_TOPIC_MAPPINGS', flag: 'topic-mappings', kind: 'json' },
  webhookUrl: { env: 'FIELDSCOPE_WEBHOOK_URL', flag: 'webhook-url', kind: 'string' },
  webhookSecretFile: { env: 'FIELDSCOPE_WEBHOOK_SECRET_FILE', flag: 'webhook-secret-file', kind: 'string' },
  slackWebhookUrlFile: { env: 'FIELDSCOPE_SLACK_WEBHOOK_URL_FILE', flag: 'slack-webhook-url-file', kind: 'string' },
  slackBotTokenFile: { env: 'FIELDSCOPE_SLACK_BOT_TOKEN_FILE', flag: 'slack-bot-token-file', kind: 'string' },
  slackChannel: { env: 'FIELDSCOPE_SLACK_CHANNEL', flag: 'slack-channel', kind: 'string' },
  slackApiUrl: { env: 'FIELDSCOPE_SLACK_API_URL', flag: 'slack-api-url', kind: 'string' },
  smtpHost: { env: 'FIELDSCOPE_SMTP_HOST', flag: 'smtp-host', kind: 'string' },
  smtpPort: { env: 'FIELDSCOPE_SMTP_PORT', flag: 'smtp-port', kind: 'int' },
  smtpSecure: { env: 'FIELDSCOPE_SMTP_SECURE', flag: 'smtp-secure', kind: 'bool' },
  smtpUser: { env: 'FIELDSCOPE_SMTP_USER', flag: 'smtp-user', kind: 'string' },
  smtpPasswordFile: { env: 'FIELDSCOPE_SMTP_PASSWORD_FILE', flag: 'smtp-password-file', kind: 'string' },
  emailFrom: { env: 'FIELDSCOPE_EMAIL_FROM', flag: 'email-from', kind: 'string' },
  emailTo: { env: 'FIELDSCOPE_EMAIL_TO', flag: 'email-to', kind: 'string' },
  notifications: { env: 'FIELDSCOPE_NOTIFICATIONS', flag: 'notifications', kind: 'json' },
  notify: { env: 'FIELDSCOPE_NOTIFY', flag: 'notify', kind: 'json' },
  anonymousRole: { env: 'FIELDSCOPE_ANONYMOUS_ROLE', flag: 'anonymous-role', kind: 'string' },
  insecureLocal: { env: 'FIELDSCOPE_INSECURE_LOCAL', flag: 'insecure-local', kind: 'bool' },
  unknownDevices: { env: 'FIELDSCOPE_UNKNOWN_DEVICES', flag: 'unknown-devices', kind: 'string' },
  adminPasswordFile: { env: 'FIELDSCOPE_ADMIN_PASSWORD_FILE', flag: 'admin-password-file', kind: 'string' },
  tlsCert: { env: 'FIELDSCOPE_TLS_CERT', flag: 'tls-cert', kind: 'string' },
  tlsKey: { env: 'FIELDSCOPE_TLS_KEY', flag: 'tls-key', kind: 'string' },
  corsOrigin: { env: 'FIELDSCOPE_CORS_ORIGIN', flag: 'cors-origin', kind: 'string' },
  apiRatePerSec: { env: 'FIELDSCOPE_API_RATE', flag: 'api-rate', kind: 'float' },
  apiRateBurst: { env: 'FIELDSCOPE_API_BURST', flag: 'api-burst', kind: 'int' },
  deviceRatePerSec: { env: 'FIELDSCOPE_DEVICE_RATE', flag: 'device-rate', kind: 'float' },
  deviceRateBurst: { env: 'FIELDSCOPE_DEVICE_BURST', flag: 'device-burst', kind: 'int' },
  loginSlowAfter: { env: 'FIELDSCOPE_LOGIN_SLOW_AFTER', flag: 'login-slow-after', kind: 'int' },
  loginLockAfter: { env: 'FIELDSCOPE_LOGIN_LOCK_AFTER', flag: 'login-lock-after', kind: 'int' },
  loginLockMs: { env: 'FIELDSCOPE_LOGIN_LOCK_MS', flag: 'login-lock-ms', kind: 'int' },
  loginSlowMs: { env: 'FIELDSCOPE_LOGIN_SLOW_MS', flag: 'login-slow-ms', kind: 'int' },
  accessTokenTtlMs: { env: 'FIELDSCOPE_ACCESS_TOKEN_TTL_MS', flag: 'access-token-ttl-ms', kind: 'int' },
  mqttMaxConnections: { env: 'FIELDSCOPE_MQTT_MAX_CONNECTIONS', flag: 'mqtt-max-connections', kind: 'int' },
  mqttMaxConnectionsPerIp: { env: 'FIELDSCOPE_MQTT_MAX_PER_IP', flag: 'mqtt-max-per-ip', kind: 'int' },
  mqttMaxPending: { env: 'FIELDSCOPE_MQTT_MAX_PENDING', flag: 'mqtt-max-pending', kind: 'int' },
  mqttListeners: { env: 'FIELDSCOPE_MQTT_LISTENERS', flag: 'mqtt-listeners', kind: 'int' },
  mqttConnectTimeoutMs: { env: 'FIELDSCOPE_MQTT_CONNECT_TIMEOUT_MS', flag: 'mqtt-connect-timeout-ms', kind: 'int' },
  mqttConnectMaxBytes: { env: 'FIELDSCOPE_MQTT_CONNECT_MAX_BYTES', flag: 'mqtt-connect-max-bytes', kind: 'int' },
  mqttMaxPacketBytes: { env: 'FIELDSCOPE_MQTT_MAX_PACKET_BYTES', flag: 'mqtt-max-packet-bytes', kind: 'int' },
  readTimeoutMs: { env: 'FIELDSCOPE_READ_TIMEOUT_MS', flag: 'read-timeout-ms', kind: 'int' },
  readWorkers: { env: 'FIELDSCOPE_READ_WORKERS', flag: 'read-workers', kind: 'int' },
  sqliteWriterThread: { env: 'FIELDSCOPE_SQLITE_WRITER_THREAD', flag: 'sqlite-writer-thread', kind: 'bool' },
  sqliteSynchronous: { env: 'FIELDSCOPE_SQLITE_SYNCHRONOUS', flag: 'sqlite-synchronous', kind: 'string' },
  readMaxRows: { env: 'FIELDSCOPE_READ_MAX_ROWS', flag: 'read-max-rows', kind: 'int' },
  readConcurrency: { env: 'FIELDSCOPE_READ_CONCURRENCY', flag: 'read-concurrency', kind: 'int' },
  readConcurrencyPerCaller: { env: 'FIELDSCOPE_READ_CONCURRENCY_PER_CALLER', flag: 'read-concurrency-per-caller', kind: 'int' },
  readRowsPerSec: { env: 'FIELDSCOPE_READ_ROWS_RATE', flag: 'read-rows-rate', kind: 'float' },
  readRowsBurst: { env: 'FIELDSCOPE_READ_ROWS_BURST', flag: 'read-rows-burst', kind: 'int' },
  systemCheckMs: { env: 'FIELDSCOPE_SYSTEM_CHECK_MS', flag: 'system-check-ms', kind: 'int' },
  spoolAlarmRatio: { env: 'FIELDSCOPE_SPOOL_ALARM_RATIO', flag: 'spool-alarm-ratio', kind: 'float' },
  diskAlarmFreeRatio: { env: 'FIELDSCOPE_DISK_ALARM_FREE_RATIO', flag: 'disk-alarm-free-ratio', kind: 'float' },
  auditRetentionDays: { env: 'FIELDSCOPE_AUDIT_RETENTION_DAYS', flag: 'audit-retention-days', kind: 'float' },
  cluster: { env: 'FIELDSCOPE_CLUSTER', flag: 'cluster', kind: 'string' },
  clusterPartitions: { env: 'FIELDSCOPE_CLUSTER_PARTITIONS', flag: 'cluster-partitions', kind: 'int' },
  clusterNodeId: { env: 'FIELDSCOPE_CLUSTER_NODE_ID', flag: 'cluster-node-id', kind: 'string' },
  clusterLeaseMs: { env: 'FIELDSCOPE_CLUSTER_LEASE_MS', flag: 'cluster-lease-ms', kind: 'int' },
  clusterReplicas: { env: 'FIELDSCOPE_CLUSTER_REPLICAS', flag: 'cluster-replicas', kind: 'int' },
};

export class ConfigError extends Error {}

function coerce(key: string, kind: Kind, raw: unknown, origin: string): unknown {
  if (kind === 'string') return String(raw);
  if (kind === 'json') {
    // A config file gives an object; env and flags give JSON text.
    if (typeof raw === 'object') return raw;
    try {
      return JSON.parse(String(raw)) as unknown;
    } catch {
      throw new ConfigError(`${origin} ${key}: expected JSON`);
    }
  }
  if (kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    const s = String(raw).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new ConfigError(`${origin} ${key}: expected true or false, got "${raw}"`);
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n)) || n < 0) {
    throw new ConfigError(`${origin} ${key}: expected a non-negative ${kind === 'int' ? 'integer' : 'number'}, got "${raw}"`);
  }
  return n;
}

/** Why a {name: hours} map of raw retention is not one, or null. */
export function rawRetentionMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object of name: hours';
  for (const [name, h] of Object.entries(value)) {
    if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0 || h > MAX_RETENTION_HOURS) {
      return `"${name}" must be hours above 0 and at most ${MAX_RETENTION_HOURS}`;
    }
  }
  return null;
}

const PORT_KEYS = new Set<string>(['httpPort', 'mqttPort', 'smtpPort']);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Values of the right kind that no component could use: refused here, in one line, not as a stack trace later. */
function checkValue(key: string, named: string, value: unknown, origin: string, raw: unknown): void {
  if (PORT_KEYS.has(key) && typeof value === 'number' && value > 65535) {
    throw new ConfigError(`${origin} ${named}: expected a port number 0-65535 (0 = any free port), got "${raw}"`);
  }
  if (key === 'retentionRawHoursByProfile' || key === 'retentionRawHoursByDevice') {
    const problem = rawRetentionMapProblem(value);
    if (problem) throw new ConfigError(`${origin} ${named}: ${problem}, got ${JSON.stringify(raw)}`);
  }
  if (key === 'retentionRawHours' && (value as number) > MAX_RETENTION_HOURS) {
    throw new ConfigError(`${origin} ${named}: expected hours at most ${MAX_RETENTION_HOURS} (100 years), got "${raw}"`);
  }
  if (key === 'logLevel' && !LOG_LEVELS.includes(String(value))) {
    throw new ConfigError(`${origin} ${named}: expected one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
}

function apply(target: Config, source: Record<string, unknown>, origin: string): void {
  for (const [key, value] of Object.entries(source)) {
    const spec = options[key as keyof Config];
    if (!spec) throw new ConfigError(`${origin}: unknown setting "${key}"`);
    // Name the setting the way the user wrote it: --http-port, or FIELDSCOPE_HTTP_PORT.
    const named = origin === 'flag' ? `--${spec.flag}` : origin === 'environment' ? `${key} (${spec.env})` : key;
    const coerced = value === null ? null : coerce(named, spec.kind, value, origin);
    if (coerced !== null) checkValue(key, named, coerced, origin, value);
    (target as unknown as Record<string, unknown>)[key] = coerced;
  }
}

export interface LoadInput {
  /** Settings from command-line flags, already keyed by Config field. */
  flags?: Partial<Record<keyof Config, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON or YAML config file; FIELDSCOPE_CONFIG or ./fieldscope.{json,yaml,yml} otherwise. */
  file?: string;
}

export function loadConfig(input: LoadInput = {}): Config {
  const env = input.env ?? process.env;
  const config: Config = { ...defaults };
  const file = input.file ?? env.FIELDSCOPE_CONFIG ?? ['fieldscope.json', 'fieldscope.yaml', 'fieldscope.yml'].find((f) => existsSync(f));
  if (file) {
    const text = readFileSync(resolve(file), 'utf8');
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
    if (parsed && typeof parsed === 'object') apply(config, parsed as Record<string, unknown>, `config file ${file}:`);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(options)) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  apply(config, fromEnv, 'environment');
  if (input.flags) apply(config, input.flags as Record<string, unknown>, 'flag');
  return config;
}
