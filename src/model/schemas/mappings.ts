/** Topic mappings (docs/topic-mappings.md) as the API and the config file take them, declared once (types in model/topic-mapping.ts). */
import { Type, type Static, type TUnsafe } from '@sinclair/typebox';
import { StringEnum } from './kit.js';

export const TopicMappingSchema = Type.Object({
  topic: Type.String({ description: 'Topic pattern: literal segments, +, {name} captures, a final #; not under devices/' }),
  device: Type.Optional(
    Type.String({ description: 'The {name} segment that names the device (default: "device" when captured; else the payload\'s device_id)' }),
  ),
  metrics: Type.Optional(Type.String({ description: 'Payload field whose object holds the readings, e.g. "features"' })),
  profile: Type.Optional(Type.String({ description: 'Profile a device first seen on this topic is bound to' })),
  name: Type.Optional(Type.String({ description: 'Shown in /health and dead letters; default the topic' })),
});

export const TopicMappingEntrySchema = Type.Object(
  {
    id: Type.String({ description: "config-N for the config file's entries, a UUID for those added here" }),
    origin: StringEnum(['config', 'api']),
    readOnly: Type.Boolean({ description: "true for the config file's entries: change them there" }),
    ...TopicMappingSchema.properties,
  },
  { $id: 'TopicMappingEntry' },
);

/**
 * The body of POST/PUT /mappings: the mapping's fields described, not typed. The body is checked by
 * the same code as the config file's topicMappings (types included, naming the field and the rule);
 * a type here would let the validator coerce `5` into "5" first.
 */
export const TopicMappingBody: TUnsafe<Static<typeof TopicMappingSchema>> = Type.Unsafe({
  type: 'object',
  description: 'A topic mapping, checked exactly as an entry of topicMappings in the config file (docs/topic-mappings.md)',
  properties: Object.fromEntries(
    Object.entries(TopicMappingSchema.properties).map(([k, p]) => [k, { description: `${p.description} (${p.type}${k === 'topic' ? ', required' : ''})` }]),
  ),
  required: TopicMappingSchema.required,
});
