import client from 'prom-client';

/** Every Prometheus metric Fieldscope exports, on one registry per process instance (tests run several). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'fieldscope_process_' });
  const m = {
    registry,
    messagesReceived: new client.Counter({
      name: 'fieldscope_messages_received_total',
      help: 'Device messages received, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    readingsStored: new client.Counter({
      name: 'fieldscope_readings_stored_total',
      help: 'Readings committed to the store',
      registers: [registry],
    }),
    readingsDuplicate: new client.Counter({
      name: 'fieldscope_readings_duplicate_total',
      help: 'Readings the store already had (same device, metric and time)',
      registers: [registry],
    }),
    rejected: new client.Counter({
      name: 'fieldscope_messages_rejected_total',
      help: 'Messages refused, by source, field and rule',
      labelNames: ['source', 'field', 'rule'] as const,
      registers: [registry],
    }),
    storeWriteSeconds: new client.Histogram({
      name: 'fieldscope_store_write_seconds',
      help: 'Time to commit one batch to the store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    sqliteCommitStageSeconds: new client.Histogram({
      name: 'fieldscope_sqlite_commit_stage_seconds',
      help: "Where a SQLite telemetry commit on the writer thread spends its time: turn (waiting for the write lock's turn: this thread's own write or the previous batch), transaction (on the writer thread, COMMIT included), handover (postMessage both ways, waiting for a core, this thread's event loop)",
      labelNames: ['stage'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.5, 1, 2],
      registers: [registry],
    }),
    liveStageSeconds: new client.Histogram({
      name: 'fieldscope_live_stage_seconds',
      help: 'Where a live reading spends its time: queued (received by the server -> its batch taken by the batcher: decode, validate, waiting behind the commit in flight), hub (received -> handed to the live hub)',
      labelNames: ['stage'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.5],
      registers: [registry],
    }),
    ackSeconds: new client.Histogram({
      name: 'fieldscope_ack_seconds',
      help: "Received by the server -> its sender answered (an MQTT PUBACK written): the server's share of a device's acknowledgement latency (the wait for this thread's event loop before a packet is read is in the event-loop delay instead)",
      buckets: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.5, 1, 2],
      registers: [registry],
    }),
    batchReadings: new client.Histogram({
      name: 'fieldscope_store_batch_readings',
      help: 'Readings per committed batch',
      buckets: [1, 10, 100, 500, 1000, 5000, 20000],
      registers: [registry],
    }),
    storeErrors: new client.Counter({
      name: 'fieldscope_store_write_errors_total',
      help: 'Batches the store failed to commit',
      registers: [registry],
    }),
    readingsFlagged: new client.Counter({
      name: 'fieldscope_readings_flagged_total',
      help: 'Readings stored but flagged by their device profile, by rule (range, unknown_metric)',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
    seqReceived: new client.Counter({ name: 'fieldscope_seq_received_total', help: 'Messages with a seq accounted for', registers: [registry] }),
    seqDuplicates: new client.Counter({
      name: 'fieldscope_seq_duplicates_total',
      help: 'Messages dropped as duplicates of a seq already stored',
      registers: [registry],
    }),
    seqOutOfOrder: new client.Counter({ name: 'fieldscope_seq_out_of_order_total', help: 'Messages that arrived late, filling a gap', registers: [registry] }),
    seqRestarts: new client.Counter({
      name: 'fieldscope_seq_restarts_total',
      help: 'Device restarts seen (seq went back to the start)',
      registers: [registry],
    }),
    seqMissing: new client.Counter({
      name: 'fieldscope_seq_missing_total',
      help: 'Sequence numbers found missing when a gap opened (late arrivals fill them later)',
      registers: [registry],
    }),
    spoolDepth: new client.Gauge({ name: 'fieldscope_spool_bytes', help: 'Bytes waiting in the spool for the store to come back', registers: [registry] }),
    spooledBatches: new client.Counter({
      name: 'fieldscope_spool_batches_total',
      help: 'Batches written to the spool because the store failed',
      registers: [registry],
    }),
    replayedBatches: new client.Counter({ name: 'fieldscope_spool_replayed_total', help: 'Spooled batches replayed into the store', registers: [registry] }),
    devices: new client.Gauge({ name: 'fieldscope_devices', help: 'Known devices', registers: [registry] }),
    devicesOnline: new client.Gauge({ name: 'fieldscope_devices_online', help: 'Devices online now', registers: [registry] }),
    liveClients: new client.Gauge({ name: 'fieldscope_live_clients', help: 'Open live WebSocket connections', registers: [registry] }),
    liveSent: new client.Counter({
      name: 'fieldscope_live_messages_sent_total',
      help: 'Messages handed to live WebSocket clients (a batch frame counts each message it carries)',
      registers: [registry],
    }),
    liveDropped: new client.Counter({
      name: 'fieldscope_live_messages_dropped_total',
      help: 'Live messages never sent: slow_client (its queue overflowed, the connection was closed with 4008), closed (queued when the client went away)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    mqttClients: new client.Gauge({ name: 'fieldscope_mqtt_clients', help: 'Connected MQTT clients (embedded broker)', registers: [registry] }),
    serialFrames: new client.Counter({
      name: 'fieldscope_serial_frames_total',
      help: 'Lines received on serial links, by result (ok, crc, json, no_crc, too_long, seq, invalid)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    serialResends: new client.Counter({
      name: 'fieldscope_serial_resend_requests_total',
      help: 'Frames asked for again on serial links (missing seq)',
      registers: [registry],
    }),
    serialGaveUp: new client.Counter({
      name: 'fieldscope_serial_resend_gave_up_total',
      help: 'Missing serial frames given up on after the bounded retries',
      registers: [registry],
    }),
    serialReopens: new client.Counter({
      name: 'fieldscope_serial_reopen_attempts_total',
      help: 'Attempts to reopen a serial port that went away',
      registers: [registry],
    }),
    commands: new client.Counter({
      name: 'fieldscope_device_commands_total',
      help: 'Device commands finished, by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    authDenied: new client.Counter({
      name: 'fieldscope_auth_denied_total',
      help: 'Requests refused by the access guard, by transport (http, mqtt) and reason (no_credentials, bad_credentials, token_expired, session_revoked, forbidden, acl_publish, acl_subscribe, client_id, login_throttled)',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    logins: new client.Counter({
      name: 'fieldscope_auth_logins_total',
      help: 'Sign-in attempts, by result (ok, bad_credentials, slowed, locked)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    rateLimited: new client.Counter({
      name: 'fieldscope_rate_limited_total',
      help: 'Requests and messages refused by a rate limit, by scope (ip, user, device)',
      labelNames: ['scope', 'transport'] as const,
      registers: [registry],
    }),
    readsRefused: new client.Counter({
      name: 'fieldscope_reads_refused_total',
      help: 'History reads refused or cancelled, by rule (read_time_limit, max_rows, read_concurrency, read_concurrency_per_caller, read_rows_rate)',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
    readSeconds: new client.Histogram({
      name: 'fieldscope_read_seconds',
      help: 'Reads answered by a read worker, by op: seconds waiting for a worker (stage queued) and running on it (stage running)',
      labelNames: ['op', 'stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    readWorkersReplaced: new client.Counter({
      name: 'fieldscope_read_workers_replaced_total',
      help: 'SQLite read workers terminated in a read past its time limit and replaced',
      registers: [registry],
    }),
    writerThreadCrashes: new client.Counter({
      name: 'fieldscope_sqlite_writer_crashes_total',
      help: 'SQLite writer threads that died; the writes they held were refused (spooled) and a new thread started',
      registers: [registry],
    }),
    limitExceeded: new client.Counter({
      name: 'fieldscope_limit_exceeded_total',
      help: 'Inputs refused for size or count, by limit (body, payload, ws_subscriptions)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    mqttRevoked: new client.Counter({
      name: 'fieldscope_mqtt_sessions_revoked_total',
      help: 'Open MQTT connections closed because the credential they signed in with was revoked, by credential (device, api_key, user)',
      labelNames: ['credential'] as const,
      registers: [registry],
    }),
    mqttRefused: new client.Counter({
      name: 'fieldscope_mqtt_connections_refused_total',
      help: 'MQTT connections refused or closed by a broker limit, by reason (max_connections, per_ip, pending, connect_timeout, not_connect, connect_too_large, packet_too_large, malformed)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    retentionPruned: new client.Counter({
      name: 'fieldscope_retention_pruned_rows_total',
      help: 'Rows deleted by retention passes, by tier (raw, 1m, 1h); each device that lost rows is also logged with its cutoff',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    auditErrors: new client.Counter({
      name: 'fieldscope_audit_write_errors_total',
      help: 'Audit log entries the store failed to write',
      registers: [registry],
    }),
    // Label "model" is the bundle's target/power/version: one series per bundle, not per device
    // (a profile bundle serves every device of the profile).
    modelInferenceSeconds: new client.Histogram({
      name: 'fieldscope_model_inference_seconds',
      help: 'Time to run a model bundle on one window (scaling, anomaly gate, classifier, RUL), by bundle and runtime',
      labelNames: ['model', 'runtime'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    modelInferenceErrors: new client.Counter({
      name: 'fieldscope_model_inference_errors_total',
      help: 'Model runs that threw, by bundle and runtime',
      labelNames: ['model', 'runtime'] as const,
      registers: [registry],
    }),
    devicesProvisioned: new client.Counter({
      name: 'fieldscope_devices_provisioned_total',
      help: 'Unknown devices registered on first connect (unknownDevices: provision)',
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
