import type { SourcePlugin } from '../plugin.js';
import { mqttCommandTransport } from '../mqtt-command-transport.js';
import { EmbeddedBroker } from './mqtt-broker.js';

/** The embedded MQTT broker (Aedes): runs unless an external broker is configured. */
export const embeddedBroker: SourcePlugin = {
  type: 'mqtt-broker',
  create(_section, kit) {
    const { config } = kit;
    if (config.broker || config.mqttListeners) return [];
    const broker = new EmbeddedBroker({
      host: config.host,
      port: config.mqttPort,
      pipeline: kit.pipeline,
      metrics: kit.metrics,
      logger: kit.logger,
      onDeviceMessage: kit.onDeviceMessage,
      access: kit.access,
      tls: kit.tls,
      mappings: kit.mappings,
      maxPayloadBytes: config.maxPayloadBytes,
      limits: kit.limits,
    });
    kit.commands.addTransport(mqttCommandTransport(broker));
    return [broker];
  },
};
