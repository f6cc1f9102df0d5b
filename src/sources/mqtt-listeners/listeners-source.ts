import { ConfigError } from '../../config.js';
import type { SourcePlugin } from '../plugin.js';
import { mqttCommandTransport } from '../mqtt-command-transport.js';
import { MqttListenerHub } from './listener-hub.js';
import { PublishIntake } from './publish-intake.js';

/** MQTT from listener processes (--mqtt-listeners N): the embedded broker's work, spread over N descriptor limits. */
export const mqttListeners: SourcePlugin = {
  type: 'mqtt-listeners',
  create(_section, kit) {
    const { config } = kit;
    const count = config.mqttListeners;
    if (!count) return [];
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new ConfigError(`mqttListeners (--mqtt-listeners) must be 0 to 64, got ${count}`);
    if (config.broker) throw new ConfigError('mqttListeners (--mqtt-listeners) serves the embedded broker; it cannot be combined with broker (--broker)');
    const hub = new MqttListenerHub({
      count,
      host: config.host,
      port: config.mqttPort,
      limits: kit.limits,
      maxConnections: config.mqttMaxConnections,
      maxPayloadBytes: config.maxPayloadBytes,
      tls: kit.tls,
      logLevel: config.logLevel,
      access: kit.access,
      metrics: kit.metrics,
      logger: kit.logger,
      intake: new PublishIntake({
        pipeline: kit.pipeline,
        access: kit.access,
        logger: kit.logger,
        mappings: kit.mappings,
        maxPayloadBytes: config.maxPayloadBytes,
        onDeviceMessage: kit.onDeviceMessage,
      }),
    });
    kit.commands.addTransport(mqttCommandTransport(hub));
    return [hub];
  },
};
