import type { RawInput } from '../../pipeline/ingest.js';
import type { TopicMapping } from '../../model/topic-mapping.js';
import { DomainError } from '../../model/errors.js';

export type { TopicMapping } from '../../model/topic-mapping.js';

export interface MappedInput {
  mapping: string;
  input: RawInput;
}

/** Why a mapping is refused: names the field and the rule, as every other bad input does. */
export class MappingError extends DomainError {
  constructor(
    override readonly field: string,
    override readonly rule: string,
    message: string,
  ) {
    super(400, message, field, rule);
  }
}

const KNOWN: readonly string[] = ['topic', 'device', 'metrics', 'profile', 'name'];

export interface Compiled {
  def: TopicMapping;
  name: string;
  levels: ({ literal: string } | { capture: string | null })[];
  rest: boolean;
  deviceCapture: string | null;
  /** The level the device id is read from, or -1. */
  deviceLevel: number;
  /** Named levels other than the device's: each message's attributes. */
  attributeLevels: { name: string; level: number }[];
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]{0,31})\}$/;

/** Checks one mapping; `at` prefixes the fields named in errors (`topicMappings[2]` in the config file, none in the API). */
export function compileMapping(def: TopicMapping, at = ''): Compiled {
  const field = at ? at + '.' : '';
  if (!def || typeof def !== 'object' || Array.isArray(def))
    throw new MappingError(at || 'mapping', 'object', 'a mapping is an object { topic, device?, metrics?, profile?, name? }');
  for (const k of Object.keys(def))
    if (!KNOWN.includes(k)) throw new MappingError(`${field}${k}`, 'unknown', `unknown setting "${k}" (known: ${KNOWN.join(', ')})`);
  if (typeof def.topic !== 'string' || !def.topic || def.topic.length > 256)
    throw new MappingError(`${field}topic`, 'required', 'a mapping needs a topic pattern (at most 256 characters)');
  for (const k of ['device', 'profile', 'name'] as const) {
    const v = def[k];
    if (v !== undefined && (typeof v !== 'string' || !v || v.length > 128))
      throw new MappingError(`${field}${k}`, 'string', `${k} must be a string of 1-128 characters`);
  }
  const parts = def.topic.split('/');
  const levels: Compiled['levels'] = [];
  let rest = false;
  const names = new Set<string>();
  parts.forEach((p, i) => {
    if (p === '#') {
      if (i !== parts.length - 1) throw new MappingError(`${field}topic`, 'wildcard', '# may only end a topic pattern');
      rest = true;
      return;
    }
    if (p === '+') return levels.push({ capture: null });
    const m = CAPTURE.exec(p);
    if (m) {
      if (names.has(m[1])) throw new MappingError(`${field}topic`, 'unique_names', `segment {${m[1]}} is named twice`);
      names.add(m[1]);
      return levels.push({ capture: m[1] });
    }
    if (/[+#{}]/.test(p)) throw new MappingError(`${field}topic`, 'segment', `segment "${p}" must be a literal, +, {name} or a final #`);
    levels.push({ literal: p });
  });
  if (parts[0] === 'devices') throw new MappingError(`${field}topic`, 'reserved', "topics under devices/ are Fieldscope's own scheme");
  let deviceCapture: string | null = null;
  if (def.device !== undefined) {
    if (!names.has(def.device)) throw new MappingError(`${field}device`, 'captured', `device "${def.device}" is not a {named} segment of ${def.topic}`);
    deviceCapture = def.device;
  } else if (names.has('device')) deviceCapture = 'device';
  if (def.metrics !== undefined && (typeof def.metrics !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(def.metrics))) {
    throw new MappingError(`${field}metrics`, 'field_name', 'metrics names a payload field (letters, digits, _)');
  }
  const named = (name: string | null) => levels.findIndex((l) => 'capture' in l && l.capture === name);
  const attributeLevels = [...names].filter((n) => n !== deviceCapture).map((name) => ({ name, level: named(name) }));
  return { def, name: def.name ?? def.topic, levels, rest, deviceCapture, deviceLevel: deviceCapture ? named(deviceCapture) : -1, attributeLevels };
}

/** The mappings in force, tried in order; the first that matches a topic takes it. */
export class TopicMappings {
  private compiled: Compiled[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(defs: TopicMapping[] = []) {
    this.set(defs);
  }

  /** Replaces the mappings; throws MappingError (and keeps the old ones) when one is bad. */
  set(defs: TopicMapping[]): void {
    if (!Array.isArray(defs)) throw new MappingError('topicMappings', 'array', 'topicMappings must be a list of mappings');
    const compiled = defs.map((d, i) => compileMapping(d, `topicMappings[${i}]`));
    compiled.forEach((c, i) => {
      const first = compiled.findIndex((o) => o.def.topic === c.def.topic);
      if (first !== i) throw new MappingError(`topicMappings[${i}].topic`, 'unique', `${c.def.topic} is mapped already (topicMappings[${first}])`);
    });
    this.compiled = compiled;
    for (const l of this.listeners) l();
  }

  /** Told after each set(): the external broker subscribes to the new filters then. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): TopicMapping[] {
    return this.compiled.map((c) => ({ ...c.def }));
  }

  /** MQTT subscription filters that cover every mapping (for an external broker). */
  filters(): string[] {
    return this.compiled.map((c) => [...c.levels.map((l) => ('literal' in l ? l.literal : '+')), ...(c.rest ? ['#'] : [])].join('/'));
  }

  /** The message a topic and payload make, or null when no mapping takes the topic. */
  map(topic: string, payload: Buffer, receivedAt = Date.now(), maxBytes = 256 * 1024): MappedInput | null {
    for (const c of this.compiled) {
      const ends = levelEnds(c, topic);
      if (!ends) continue;
      // Only a mapping that names a nested metrics field reshapes the payload; the others pass it on as it came.
      const shaped = c.def.metrics && payload.length <= maxBytes ? reshape(payload, c.def.metrics) : null;
      const input: RawInput = { source: 'mqtt', payload: shaped ? shaped.payload : payload, receivedAt };
      // Sliced from the topic only now, and only the levels named: every message of a fleet comes this way.
      if (c.deviceLevel >= 0) input.device = level(topic, ends, c.deviceLevel);
      if (c.attributeLevels.length || shaped?.attributes) {
        const attributes: Record<string, string> = {};
        for (const a of c.attributeLevels) attributes[a.name] = level(topic, ends, a.level);
        Object.assign(attributes, shaped?.attributes);
        for (const _ in attributes) {
          input.attributes = attributes;
          break;
        }
      }
      if (c.def.profile) input.profile = c.def.profile;
      return { mapping: c.name, input };
    }
    return null;
  }
}

/** Level `i` of `topic`, by the ends levelEnds found. */
function level(topic: string, ends: Int32Array, i: number): string {
  return topic.slice(i === 0 ? 0 : ends[i - 1] + 1, ends[i]);
}

/** Reused by levelEnds: a topic has at most this many levels worth looking at (a pattern at most 256 characters). */
const ENDS = new Int32Array(257);

/**
 * Where each of the pattern's levels ends in `topic` (the index of the '/' after it, or the
 * topic's length), or null when the topic does not match: as many levels as the pattern (at least
 * as many when it ends in #), each literal level equal. The answer is valid until the next call.
 */
function levelEnds(c: Compiled, topic: string): Int32Array | null {
  let start = 0;
  for (let i = 0; i < c.levels.length; i++) {
    if (start > topic.length) return null;
    let end = topic.indexOf('/', start);
    if (end < 0) end = topic.length;
    const l = c.levels[i];
    if ('literal' in l && (end - start !== l.literal.length || !topic.startsWith(l.literal, start))) return null;
    ENDS[i] = end;
    start = end + 1;
  }
  // Levels left over: only a pattern ending in # takes them.
  return c.rest || start > topic.length ? ENDS : null;
}

/**
 * Lifts the readings out of a nested object ({"power":3,"model_version":"v1","features":{"rms":0.4}}
 * -> readings power and rms, attribute model_version): beside such an object, top-level text is
 * metadata, not a malformed reading. A payload that is not JSON (or over the size limit) goes on as
 * bytes, so the decoder refuses it with its usual reason.
 */
function reshape(payload: Buffer, metrics: string): { payload: Buffer | unknown; attributes?: Record<string, string> } {
  let obj: unknown;
  try {
    obj = JSON.parse(payload.toString('utf8'));
  } catch {
    return { payload };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { payload: obj };
  const { [metrics]: nested, ...rest } = obj as Record<string, unknown>;
  if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) return { payload: obj };
  const attributes: Record<string, string> = {};
  for (const k in rest) {
    const v = rest[k];
    if (typeof v === 'string' && !KEPT_TEXT.has(k)) {
      attributes[k] = v.slice(0, 256);
      delete rest[k];
    }
  }
  return { payload: { ...rest, ...(nested as Record<string, unknown>) }, attributes };
}

/** Text fields the decoder reads itself (times, device ids, profile). */
const KEPT_TEXT = new Set(['ts', 'timestamp', 'time', 'device_id', 'deviceId', 'device', 'profile']);
