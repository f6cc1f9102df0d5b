import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { DeviceManagement } from '../devices/setup.js';
import type { Source } from '../sources/source.js';
import type { SourceKit } from '../sources/plugin.js';
import { sourcePlugins } from '../sources/registry.js';
import { EmbeddedBroker } from '../sources/mqtt-broker/mqtt-broker.js';
import { ExternalBroker } from '../sources/mqtt-client/mqtt-client.js';
import { SerialLink } from '../sources/serial/serial.js';
import { MqttListenerHub } from '../sources/mqtt-listeners/listener-hub.js';
import { MappingError, TopicMappings } from '../sources/mappings/topic-mappings.js';

/** Every configured source, by kind (sources/registry.ts); commands reach devices through them. */
export function buildSources(
  config: Config,
  o: Omit<SourceKit, 'config' | 'onDeviceMessage' | 'commands'> & { dm: DeviceManagement },
): {
  broker: EmbeddedBroker | null;
  listeners: MqttListenerHub | null;
  mqtt: EmbeddedBroker | ExternalBroker | MqttListenerHub;
  serial: SerialLink[];
  all: Source[];
} {
  const { dm, ...rest } = o;
  const kit: SourceKit = { ...rest, config, onDeviceMessage: dm.onDeviceMessage, commands: dm.commands };
  const sections = config.sources ?? {};
  if (typeof sections !== 'object' || Array.isArray(sections)) throw new ConfigError('sources must be an object of sections by source type');
  for (const type of Object.keys(sections)) {
    if (!sourcePlugins.some((p) => p.type === type))
      throw new ConfigError(`sources.${type}: no such source type (have: ${sourcePlugins.map((p) => p.type).join(', ')})`);
  }
  const all = sourcePlugins.flatMap((p) => p.create(sections[p.type], kit));
  const mqtt = all.find(
    (s): s is EmbeddedBroker | ExternalBroker | MqttListenerHub => s instanceof EmbeddedBroker || s instanceof ExternalBroker || s instanceof MqttListenerHub,
  );
  if (!mqtt) throw new ConfigError('no MQTT source: neither the embedded broker nor an external one is configured');
  return {
    broker: mqtt instanceof EmbeddedBroker ? mqtt : null,
    listeners: mqtt instanceof MqttListenerHub ? mqtt : null,
    mqtt,
    serial: all.filter((s): s is SerialLink => s instanceof SerialLink),
    all: [mqtt, ...all.filter((s) => s !== mqtt)],
  };
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
