import type { SourcePlugin } from './plugin.js';
import { embeddedBroker } from './mqtt-broker/embedded-broker-source.js';
import { externalBroker } from './mqtt-client/external-broker-source.js';
import { serialSource } from './serial/serial-source.js';
import { mqttListeners } from './mqtt-listeners/listeners-source.js';

/** Every kind of source, by type: a new transport is one folder and one line here. */
export const sourcePlugins: readonly SourcePlugin[] = [embeddedBroker, externalBroker, serialSource, mqttListeners];
