import type { Pipeline } from '../../pipeline/ingest.js';
import type { MappedInput, TopicMappings } from './topic-mappings.js';

/**
 * A publish outside Fieldscope's own devices/ scheme: stored through the mapping that takes its
 * topic, or dead-lettered as `unmapped_topic` (counted, payload kept). Either way `done` is called
 * once committed (with the error when it could not be), so the broker's PUBACK still means "dealt
 * with". A callback, as for the broker's devices/ topics (Pipeline.acceptOneThen): a fleet on its
 * own topics sends every message this way, and an async function, the pipeline's promise and their
 * reactions per message were a fifth of what the ingest thread allocated.
 */
export function takeForeignTopic(
  pipeline: Pipeline,
  mappings: TopicMappings | undefined,
  topic: string,
  payload: Buffer,
  maxBytes: number | undefined,
  done: (err?: Error) => void,
): void {
  const receivedAt = Date.now();
  let mapped: MappedInput | null | undefined;
  try {
    mapped = mappings?.map(topic, payload, receivedAt, maxBytes);
  } catch (err) {
    return done(err as Error);
  }
  if (mapped) return pipeline.acceptOneThen(mapped.input, done);
  pipeline
    .refuse(
      { source: 'mqtt', payload, receivedAt },
      {
        field: 'topic',
        rule: 'unmapped_topic',
        message: `no topic mapping takes "${topic.slice(0, 200)}"; add one (topicMappings) or publish to devices/{id}/telemetry`,
      },
    )
    .then(() => done(), done);
}
