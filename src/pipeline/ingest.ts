import type { Message, Rejection, SourceKind } from '../model/reading.js';
import type { RejectedRecord } from '../stores/store.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import { decodeMessage, type DecodeContext } from './decode.js';
import type { Batcher } from './batcher.js';
import { validateMessage, type Validator } from './validate.js';
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
export type Outcome = { ok: true; message: Message; refused?: readonly Rejection[] } | { ok: false; rejection: Rejection };

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
  /** One decode context, refilled per input: decoding reads it synchronously and keeps nothing of it. */
  private readonly ctx: DecodeContext;
  private readonly received = new Map<SourceKind, { inc(): void }>();

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
    const validator = deps.validator;
    this.ctx = {
      source: 'mqtt',
      device: undefined,
      receivedAt: 0,
      maxBytes: deps.maxPayloadBytes,
      stamp: (device, receivedAt) => clock.stamp(device, receivedAt),
      knownProfile: validator ? (name) => validator.knowsProfile(name) : undefined,
    };
  }

  /** Judges inputs without storing them: good messages and dead letters. */
  judge(inputs: RawInput[]): { outcomes: Outcome[]; messages: Message[]; rejected: RejectedRecord[] } {
    const outcomes: Outcome[] = [];
    const messages: Message[] = [];
    const rejected: RejectedRecord[] = [];
    for (const input of inputs) outcomes.push(this.judgeInto(input, messages, rejected));
    return { outcomes, messages, rejected };
  }

  /**
   * Judges one input: its message (if any) goes to `messages`, its dead letters to `rejected`.
   * The ingest hot path: per message it allocates the parsed payload, the message and its values,
   * and (when a profile refuses or flags something) the verdict; nothing else.
   */
  private judgeInto(input: RawInput, messages: Message[], rejected: RejectedRecord[]): Outcome {
    const { metrics, logger } = this.deps;
    const receivedAt = input.receivedAt ?? Date.now();
    this.receivedCounter(input.source).inc();
    const ctx = this.ctx;
    ctx.source = input.source;
    ctx.device = input.device;
    ctx.receivedAt = receivedAt;
    ctx.maxBytes = this.deps.maxPayloadBytes;
    const d = decodeMessage(input.payload, ctx);
    if (d.ok) {
      // Shared, not copied, when the payload brought none: a message's attributes are never changed once decoded.
      if (input.attributes) d.message.attributes = d.message.attributes ? { ...input.attributes, ...d.message.attributes } : input.attributes;
      if (input.profile && d.message.profile === undefined) d.message.profile = input.profile;
      const validator = this.deps.validator;
      const profile = validator?.profileOf(d.message);
      if (!profile) {
        // Nothing to check against: the decoded result is the outcome as it is.
        messages.push(d.message);
        return d;
      }
      const v = validateMessage(d.message, profile);
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
        if (v.rejections.length) return { ok: true, message: v.message, refused: v.rejections };
        return v.message === d.message ? d : { ok: true, message: v.message };
      }
      // Every reading refused: the message still counts for sequence accounting and device state.
      messages.push({ ...d.message, values: {} });
      return { ok: false, rejection: v.rejections[0] };
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
    return { ok: false, rejection: r };
  }

  /** The received counter's child per source, found once: a label object and its hash per message were garbage. */
  private receivedCounter(source: SourceKind): { inc(): void } {
    let c = this.received.get(source);
    if (!c) this.received.set(source, (c = this.deps.metrics.messagesReceived.labels({ source })));
    return c;
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
    this.receivedCounter(input.source).inc();
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

  /** One input (an MQTT publish, a serial line): the same as accept([input]), without its arrays and async layers. */
  acceptOne(input: RawInput): Promise<Outcome> {
    const messages: Message[] = [];
    const rejected: RejectedRecord[] = [];
    let outcome: Outcome;
    try {
      outcome = this.judgeInto(input, messages, rejected);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const stored = this.deps.sink ? this.deps.sink(messages, rejected) : this.deps.batcher.add(messages, rejected);
    return stored.then(() => outcome);
  }

  /**
   * acceptOne with a callback, called once the input is committed (or with the error): the MQTT
   * broker's PUBACK path, which needs no outcome and whose promise chain per message (the batcher's
   * promise, two reactions) was garbage and microtask hops between a commit and its PUBACKs.
   */
  acceptOneThen(input: RawInput, done: (err?: Error) => void): void {
    const messages: Message[] = [];
    const rejected: RejectedRecord[] = [];
    try {
      this.judgeInto(input, messages, rejected);
    } catch (err) {
      return done(err as Error);
    }
    if (this.deps.sink) this.deps.sink(messages, rejected).then(() => done(), done);
    else this.deps.batcher.addThen(messages, rejected, done);
  }
}
