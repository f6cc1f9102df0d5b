import type { Config } from '../config.js';
import type { BrokerLimits } from './mqtt-broker.js';
import { defaultMaxConnections } from './mqtt-connection-gate.js';

/** The embedded broker's limits from the config, with the derived defaults filled in. */
export function brokerLimits(config: Config): BrokerLimits {
  return {
    connections: {
      maxConnections: config.mqttMaxConnections ?? defaultMaxConnections(),
      perIp: config.mqttMaxConnectionsPerIp,
      pending: config.mqttMaxPending,
    },
    connectTimeoutMs: config.mqttConnectTimeoutMs,
    connectMaxBytes: config.mqttConnectMaxBytes,
    // Payloads a little over maxPayloadBytes still arrive, to be refused with a reason and dead-lettered.
    maxPacketBytes: config.mqttMaxPacketBytes ?? Math.max(1024 * 1024, config.maxPayloadBytes + 64 * 1024),
  };
}
