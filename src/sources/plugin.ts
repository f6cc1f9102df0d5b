import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Pipeline } from '../pipeline/ingest.js';
import type { CommandReply, CommandTransport } from '../model/device-admin.js';
import type { TopicKind } from '../model/topics.js';
import type { Source } from './source.js';
import type { TopicMappings } from './mappings/topic-mappings.js';
import type { BrokerAccess, BrokerLimits } from './mqtt-broker/mqtt-broker.js';

/** What every kind of source may use; each takes only its share. */
export interface SourceKit {
  config: Config;
  pipeline: Pipeline;
  metrics: Metrics;
  logger: Logger;
  /** Certificate and key (PEM) when the server speaks TLS. */
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** Who may connect, publish and subscribe over MQTT. */
  access: BrokerAccess;
  /** A fleet's own topics; changed live through the API (the same object is kept). */
  mappings: TopicMappings;
  limits: BrokerLimits;
  /** Device messages beside telemetry (state, command answers, OTA progress). */
  onDeviceMessage(device: string, kind: TopicKind, payload: Buffer): void;
  /** Where a source that can reach devices offers itself for commands, and hands their answers. */
  commands: { addTransport(t: CommandTransport, first?: boolean): void; reply(device: string, r: CommandReply): Promise<unknown> };
}

/**
 * A kind of source, registered by type in registry.ts. It reads its own section of the config
 * (`sources.<type>`, plus the flat settings and flags it always had) and makes the sources it asks
 * for, none when it is not configured; a bad value throws ConfigError naming the setting.
 */
export interface SourcePlugin {
  readonly type: string;
  create(section: unknown, kit: SourceKit): Source[];
}
