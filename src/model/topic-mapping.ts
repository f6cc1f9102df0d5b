/**
 * How a fleet's own topics become Fieldscope messages, in the manner of Telegraf's MQTT topic
 * parsing: a topic pattern whose named segments say where the device id and attributes are, and
 * where in the payload the readings are. Devices keep their topics and payloads.
 */
export interface TopicMapping {
  /** Topic filter with named one-level segments and an optional trailing #: "factory/sensor/data", "serve-ml/{equipment}/features", "{site}/{line}/{device}/#". */
  topic: string;
  /** The captured segment that names the device (default: "device" when captured; otherwise the payload's device_id). */
  device?: string;
  /** Payload field whose object holds the readings, e.g. "features"; the payload's other numbers are readings too. */
  metrics?: string;
  /** Profile a device first seen on this topic is bound to. */
  profile?: string;
  /** Shown in /health and dead letters; default: the topic pattern. */
  name?: string;
}

/** A mapping added through the API, as stored. */
export interface StoredTopicMapping {
  id: string;
  mapping: TopicMapping;
  createdAt: number;
  updatedAt: number;
}

/** A mapping as the API lists it: from the config file (read-only) or added through the API. */
export interface TopicMappingEntry extends TopicMapping {
  id: string;
  origin: 'config' | 'api';
  readOnly: boolean;
}
