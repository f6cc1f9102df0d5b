import type { Static } from '@sinclair/typebox';
import type { TopicMappingEntrySchema, TopicMappingSchema } from './schemas/mappings.js';

/**
 * How a fleet's own topics become Fieldscope messages, in the manner of Telegraf's MQTT topic
 * parsing: a topic pattern whose named segments say where the device id and attributes are, and
 * where in the payload the readings are. Devices keep their topics and payloads.
 */
export type TopicMapping = Static<typeof TopicMappingSchema>;

/** A mapping added through the API, as stored. */
export interface StoredTopicMapping {
  id: string;
  mapping: TopicMapping;
  createdAt: number;
  updatedAt: number;
}

/** A mapping as the API lists it: from the config file (read-only) or added through the API. */
export type TopicMappingEntry = Static<typeof TopicMappingEntrySchema>;
