import { ConfigError, type Config } from '../../config.js';
import type { BrokerLimits } from './mqtt-broker.js';
import { defaultMaxConnections } from './mqtt-connection-gate.js';

/** The embedded broker's limits from the config, with the derived defaults filled in. */
export function brokerLimits(config: Config): BrokerLimits {
  // A device's CONNECT (client id, user name, token, will) is a few hundred bytes; under 512 nobody gets in.
  if (config.mqttConnectMaxBytes < 512)
    throw new ConfigError(`mqttConnectMaxBytes (--mqtt-connect-max-bytes) must be at least 512, got ${config.mqttConnectMaxBytes}`);
  if (config.mqttConnectTimeoutMs < 100)
    throw new ConfigError(`mqttConnectTimeoutMs (--mqtt-connect-timeout-ms) must be at least 100, got ${config.mqttConnectTimeoutMs}`);
  if (config.mqttMaxPacketBytes !== null && config.mqttMaxPacketBytes < config.mqttConnectMaxBytes) {
    throw new ConfigError(
      `mqttMaxPacketBytes (--mqtt-max-packet-bytes) must be at least mqttConnectMaxBytes (${config.mqttConnectMaxBytes}), got ${config.mqttMaxPacketBytes}`,
    );
  }
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
