import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Pipeline } from '../pipeline/ingest.js';
import { isValidDeviceId } from '../pipeline/decode.js';
import type { DeviceManagement } from '../devices/setup.js';
import type { BrokerAccess } from '../sources/mqtt-broker/mqtt-broker.js';
import { EmbeddedBroker } from '../sources/mqtt-broker/mqtt-broker.js';
import { ExternalBroker } from '../sources/mqtt-client/mqtt-client.js';
import { SerialLink, parseSerialSpec } from '../sources/serial/serial.js';
import type { Source } from '../sources/source.js';
import { deviceTopic } from '../model/topics.js';
import { MappingError, TopicMappings } from '../sources/mappings/topic-mappings.js';
import { SERIAL_INTEGRITY, type SerialIntegrity } from '../sources/serial/serial-frame.js';
import type { BrokerLimits } from '../sources/mqtt-broker/mqtt-broker.js';

/** The embedded or external MQTT broker, and the serial links; commands reach devices through them. */
export function buildSources(
  config: Config,
  o: {
    pipeline: Pipeline;
    metrics: Metrics;
    logger: Logger;
    tls: { cert: Buffer; key: Buffer } | undefined;
    dm: DeviceManagement;
    access: BrokerAccess;
    mappings: TopicMappings;
    limits: BrokerLimits;
  },
): { broker: EmbeddedBroker; mqtt: Source; serial: SerialLink[]; all: Source[] } {
  const { pipeline, metrics, logger, dm } = o;
  const broker = new EmbeddedBroker({
    host: config.host,
    port: config.mqttPort,
    pipeline,
    metrics,
    logger,
    onDeviceMessage: dm.onDeviceMessage,
    access: o.access,
    tls: o.tls,
    mappings: o.mappings,
    maxPayloadBytes: config.maxPayloadBytes,
    limits: o.limits,
  });
  const serial = parseSerialConfig(config.serial, config.serialIntegrity).map(
    ({ path, baudRate, device, integrity }) =>
      new SerialLink({ path, baudRate, device, integrity, pipeline, metrics, logger, onCommandReply: (d, r) => void dm.commands.reply(d, r).catch(() => {}) }),
  );
  for (const link of serial) dm.commands.addTransport(link, true);
  const mqtt: EmbeddedBroker | ExternalBroker = config.broker
    ? new ExternalBroker({
        url: config.broker,
        clientId: config.brokerClientId ?? `fieldscope-${hostname()}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64),
        username: config.brokerUsername ?? undefined,
        password: process.env.FIELDSCOPE_BROKER_PASSWORD ?? (config.brokerPasswordFile ? readFileSync(config.brokerPasswordFile, 'utf8').trim() : undefined),
        ca: config.brokerCa ?? undefined,
        cert: config.brokerCert ?? undefined,
        key: config.brokerKey ?? undefined,
        pipeline,
        logger,
        onDeviceMessage: dm.onDeviceMessage,
        mappings: o.mappings,
      })
    : broker;
  // Commands reach devices through the broker they publish to.
  dm.commands.addTransport({
    kind: 'mqtt',
    reaches: () => true,
    send: (device, cmd) => mqtt.publish(deviceTopic(device, 'commands'), JSON.stringify(cmd), { qos: 1 }),
  });
  return { broker, mqtt, serial, all: [mqtt, ...serial] };
}

/** `PATH[:BAUD]=DEVICE[@crc|optional|none]`, comma-separated. */
function parseSerialConfig(
  spec: string | null,
  defaultIntegrity: SerialIntegrity,
): Array<{ path: string; baudRate: number; device: string; integrity: SerialIntegrity }> {
  if (!spec) return [];
  return spec
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const eq = item.lastIndexOf('=');
      if (eq < 1) throw new ConfigError(`serial "${item}": expected PATH[:BAUD]=DEVICE_ID[@crc|optional|none]`);
      // '@' cannot appear in a device id, so it can carry the port's own integrity setting.
      const [device, own] = item.slice(eq + 1).split('@');
      if (!isValidDeviceId(device)) throw new ConfigError(`serial "${item}": device id must be 1-128 characters of letters, digits, . _ : -`);
      const integrity = (own ?? defaultIntegrity) as SerialIntegrity;
      if (!SERIAL_INTEGRITY.includes(integrity))
        throw new ConfigError(`serial "${item}": integrity must be one of ${SERIAL_INTEGRITY.join(', ')}, got "${own ?? defaultIntegrity}"`);
      try {
        return { ...parseSerialSpec(item.slice(0, eq)), device, integrity };
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    });
}

/** The configured topic mappings; a bad one stops the start with the setting, field and rule named. */
export function topicMappingsOf(config: Config): TopicMappings {
  try {
    return new TopicMappings(config.topicMappings);
  } catch (err) {
    if (err instanceof MappingError) throw new ConfigError(`topicMappings: ${err.field}: ${err.message} (rule ${err.rule})`);
    throw err;
  }
}
