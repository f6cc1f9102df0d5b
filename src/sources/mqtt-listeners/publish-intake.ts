import type { Logger } from '../../logger.js';
import type { Pipeline } from '../../pipeline/ingest.js';
import { parseDeviceTopic, type TopicKind } from '../../model/topics.js';
import type { BrokerAccess, BrokerSession } from '../mqtt-broker/mqtt-broker.js';
import type { TopicMappings } from '../mappings/topic-mappings.js';
import { takeForeignTopic } from '../mappings/foreign-topic.js';

/**
 * What the embedded broker does with a client's publish (mqtt-broker.ts, authorizePublish), for a
 * publish a listener process handed over: the topic ACL, the device's message rate, device
 * messages beside telemetry, a fleet's own topics, and telemetry into the pipeline. Resolves once
 * the message is committed or spooled (or needs no storing); rejects with the reason the
 * listener refuses it (no PUBACK, the connection is closed, as the embedded broker does).
 */
export class PublishIntake {
  constructor(
    private readonly o: {
      pipeline: Pipeline;
      access: BrokerAccess;
      logger: Logger;
      mappings: TopicMappings;
      maxPayloadBytes: number;
      onDeviceMessage(device: string, kind: TopicKind, payload: Buffer): void;
    },
  ) {}

  take(client: BrokerSession, topic: string, payload: Buffer): Promise<unknown> {
    const { access, logger, pipeline } = this.o;
    const refusal = access.checkPublish(client, topic);
    if (refusal) return Promise.reject(new Error(refusal));
    const t = parseDeviceTopic(topic);
    if (t?.kind === 'telemetry' && !access.takeMessage(t.device)) {
      logger.warn({ device: t.device }, 'device over its message rate; disconnected');
      return Promise.reject(new Error(`device ${t.device} is over its message rate`));
    }
    if (t && t.kind !== 'telemetry' && t.kind !== 'commands') {
      try {
        this.o.onDeviceMessage(t.device, t.kind, payload);
      } catch (err) {
        logger.warn({ err: (err as Error).message, topic }, 'device message handler failed');
      }
    }
    if (!t)
      return this.logged(
        new Promise<void>((resolve, reject) =>
          takeForeignTopic(pipeline, this.o.mappings, topic, payload, this.o.maxPayloadBytes, (err) => (err ? reject(err) : resolve())),
        ),
      );
    if (t.kind !== 'telemetry') return Promise.resolve();
    return this.logged(pipeline.acceptOne({ source: 'mqtt', device: t.device, payload }));
  }

  private logged<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: Error) => {
      this.o.logger.error({ err: err.message }, 'could not store MQTT message; not acknowledged');
      throw err;
    });
  }
}
