import type { Message, Rejection, SourceKind } from '../model/reading.js';
import type { RejectedRecord } from '../stores/store.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import { decodeMessage } from './decode.js';
import type { Batcher } from './batcher.js';
import type { Validator } from './validate.js';
import { ServerClock } from './server-clock.js';

/** A payload as a transport hands it over, before anything is known to be right about it. */
export interface RawInput {
  source: SourceKind;
  /** Device id from the topic or URL, when the transport has one. */
  device?: string;
  /** Bytes (MQTT, serial), or a JSON value a transport already parsed (HTTP arrays, NDJSON lines). */
  payload: Buffer | string | unknown;
  receivedAt?: number;
  /** Text attributes the transport found outside the payload (a mapped topic's site and line). */
  attributes?: Record<string, string>;
  /** Profile to bind a device first seen here to, unless the payload names one. */
  profile?: string;
}

/** `refused`: readings of a stored message that its profile refused (the rest were kept). */
export type Outcome = { ok: true; message: Message; refused?: Rejection[] } | { ok: false; rejection: Rejection };

const MAX_DEAD_LETTER_BYTES = 16 * 1024;

function payloadText(payload: unknown): string {
  let text: string;
  if (Buffer.isBuffer(payload)) text = payload.subarray(0, MAX_DEAD_LETTER_BYTES).toString('utf8');
  else if (typeof payload === 'string') text = payload.slice(0, MAX_DEAD_LETTER_BYTES);
  else {
    try {
      text = JSON.stringify(payload) ?? String(payload);
    } catch {
      text = String(payload);
    }
  }
  return text.length > MAX_DEAD_LETTER_BYTES ? text.slice(0, MAX_DEAD_LETTER_BYTES) : text;
}

/**
 * The one way in for every transport: decode and validate, then hand good messages and
 * dead letters to the batcher together. Resolves when both are committed, so a transport can
 * acknowledge only what is stored.
 */
export class Pipeline {
  /** Times for messages that carry none: unique per device, so none is taken for another's duplicate. */
  readonly clock: ServerClock;
  private readonly stamp: (device: string, receivedAt: number) => number;
  private readonly knownProfile: ((name: string) => boolean) | undefined;

  constructor(
    private readonly deps: {
      batcher: Batcher;
      metrics: Metrics;
      logger: Logger;
      maxPayloadBytes: number;
      validator?: Validator;
      clock?: ServerClock;
      /**
       * Where judged messages go instead of the batcher (cluster mode: into the device's partition
       * stream); resolves when they are durable there. Dead letters always go to the batcher.
       */
      sink?: (messages: Message[], rejected: RejectedRecord[]) => Promise<void>;
    },
  ) {
    const clock = (this.clock = deps.clock ?? new ServerClock());
    this.stamp = (device, receivedAt) => clock.stamp(device, receivedAt);
    const validator = deps.validator;
    this.knownProfile = validator ? (name) => validator.knowsProfile(name) : undefined;
  }

  /** Judges inputs without storing them: good messages and dead letters. */
  judge(inputs: RawInput[]): { outcomes: Outcome[]; messages: Message[]; rejected: RejectedRecord[] } {
    const { metrics, logger, maxPayloadBytes } = this.deps;
    const outcomes: Outcome[] = [];
    const messages: Message[] = [];
    const rejected: RejectedRecord[] = [];
    for (const input of inputs) {
      const receivedAt = input.receivedAt ?? Date.now();
      metrics.messagesReceived.inc({ source: input.source });
      const d = decodeMessage(input.payload, {
        source: input.source,
        device: input.device,
        receivedAt,
        maxBytes: maxPayloadBytes,
        stamp: this.stamp,
        knownProfile: this.knownProfile,
      });
      if (d.ok) {
        if (input.attributes) d.message.attributes = { ...input.attributes, ...d.message.attributes };
        if (input.profile && d.message.profile === undefined) d.message.profile = input.profile;
        if (!this.deps.validator) {
          messages.push(d.message);
          outcomes.push(d);
          continue;
        }
        const v = this.deps.validator.validate(d.message);
        for (const f of v.flags) {
          metrics.readingsFlagged.inc({ rule: f.rule });
          rejected.push({
            at: receivedAt,
            source: input.source,
            device: d.message.device,
            field: f.field,
            rule: 'flagged',
            error: `${f.rule}: ${f.message}`,
            payload: payloadText(input.payload),
          });
        }
        for (const r of v.rejections) {
          metrics.rejected.inc({ source: input.source, field: r.field, rule: r.rule });
          rejected.push({
            at: receivedAt,
            source: input.source,
            device: d.message.device,
            field: r.field,
            rule: r.rule,
            error: r.message,
            payload: payloadText(input.payload),
          });
        }
        if (v.message) {
          messages.push(v.message);
          outcomes.push(v.rejections.length ? { ok: true, message: v.message, refused: v.rejections } : { ok: true, message: v.message });
        } else {
          // Every reading refused: the message still counts for sequence accounting and device state.
          messages.push({ ...d.message, values: {} });
          outcomes.push({ ok: false, rejection: v.rejections[0] });
        }
        continue;
      }
      const r = d.rejection;
      metrics.rejected.inc({ source: input.source, field: r.field, rule: r.rule });
      logger.warn({ source: input.source, device: d.device ?? input.device, field: r.field, rule: r.rule }, `rejected: ${r.message}`);
      rejected.push({
        at: receivedAt,
        source: input.source,
        device: d.device ?? input.device ?? null,
        field: r.field,
        rule: r.rule,
        error: r.message,
        payload: payloadText(input.payload),
      });
      outcomes.push({ ok: false, rejection: r });
    }
    return { outcomes, messages, rejected };
  }

  /** Decodes, stores, and resolves with each input's outcome once everything is committed. */
  async accept(inputs: RawInput[]): Promise<Outcome[]> {
    const { outcomes, messages, rejected } = this.judge(inputs);
    if (this.deps.sink) await this.deps.sink(messages, rejected);
    else await this.deps.batcher.add(messages, rejected);
    return outcomes;
  }

  /**
   * Records an input the transport could not take (a topic no mapping covers): counted and
   * dead-lettered with its payload, so nothing a device sent disappears without a trace.
   */
  async refuse(input: RawInput, rejection: Rejection): Promise<void> {
    const at = input.receivedAt ?? Date.now();
    this.deps.metrics.messagesReceived.inc({ source: input.source });
    this.deps.metrics.rejected.inc({ source: input.source, field: rejection.field, rule: rejection.rule });
    this.deps.logger.warn({ source: input.source, device: input.device, field: rejection.field, rule: rejection.rule }, `rejected: ${rejection.message}`);
    await this.deps.batcher.add(
      [],
      [
        {
          at,
          source: input.source,
          device: input.device ?? null,
          field: rejection.field,
          rule: rejection.rule,
          error: rejection.message,
          payload: payloadText(input.payload),
        },
      ],
    );
  }

  async acceptOne(input: RawInput): Promise<Outcome> {
    return (await this.accept([input]))[0];
  }
}
