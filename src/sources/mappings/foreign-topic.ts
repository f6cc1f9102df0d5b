import type { Pipeline } from '../../pipeline/ingest.js';
import type { TopicMappings } from './topic-mappings.js';

/**
 * A publish outside Fieldscope's own devices/ scheme: stored through the mapping that takes its
 * topic, or dead-lettered as `unmapped_topic` (counted, payload kept). Either way it resolves once
 * committed, so the broker's PUBACK still means "dealt with".
 */
export async function takeForeignTopic(
  pipeline: Pipeline,
  mappings: TopicMappings | undefined,
  topic: string,
  payload: Buffer,
  maxBytes?: number,
): Promise<void> {
  const receivedAt = Date.now();
  const mapped = mappings?.map(topic, payload, receivedAt, maxBytes);
  if (mapped) {
    await pipeline.acceptOne(mapped.input);
    return;
  }
  await pipeline.refuse(
    { source: 'mqtt', payload, receivedAt },
    {
      field: 'topic',
      rule: 'unmapped_topic',
      message: `no topic mapping takes "${topic.slice(0, 200)}"; add one (topicMappings) or publish to devices/{id}/telemetry`,
    },
  );
}
