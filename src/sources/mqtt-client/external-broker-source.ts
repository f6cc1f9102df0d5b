import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { SourcePlugin } from '../plugin.js';
import { mqttCommandTransport } from '../mqtt-command-transport.js';
import { ExternalBroker } from './mqtt-client.js';

/** Fieldscope as a client of an existing broker (`broker` and the broker* settings). */
export const externalBroker: SourcePlugin = {
  type: 'mqtt-client',
  create(_section, kit) {
    const { config } = kit;
    if (!config.broker) return [];
    const client = new ExternalBroker({
      url: config.broker,
      clientId: config.brokerClientId ?? `fieldscope-${hostname()}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64),
      username: config.brokerUsername ?? undefined,
      password: process.env.FIELDSCOPE_BROKER_PASSWORD ?? (config.brokerPasswordFile ? readFileSync(config.brokerPasswordFile, 'utf8').trim() : undefined),
      ca: config.brokerCa ?? undefined,
      cert: config.brokerCert ?? undefined,
      key: config.brokerKey ?? undefined,
      pipeline: kit.pipeline,
      logger: kit.logger,
      onDeviceMessage: kit.onDeviceMessage,
      mappings: kit.mappings,
    });
    kit.commands.addTransport(mqttCommandTransport(client));
    return [client];
  },
};
