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
    devices: new client.Gauge({ name: 'fieldscope_devices', help: 'Known devices', registers: [registry] }),
    devicesOnline: new client.Gauge({ name: 'fieldscope_devices_online', help: 'Devices online now', registers: [registry] }),
    liveClients: new client.Gauge({ name: 'fieldscope_live_clients', help: 'Open live WebSocket connections', registers: [registry] }),
    mqttClients: new client.Gauge({ name: 'fieldscope_mqtt_clients', help: 'Connected MQTT clients (embedded broker)', registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
