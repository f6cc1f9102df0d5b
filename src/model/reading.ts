/** One measured value: the unit of storage. */
export interface Reading {
  device: string;
  metric: string;
  /** Epoch milliseconds, UTC. */
  ts: number;
  value: number;
  /** Sequence number of the message that carried it, when the device sends one. */
  seq?: number;
}

/** How the stores keep "no seq" inside a reading's identity (series, ts, seq), which cannot hold NULL. */
export const NO_SEQ = -1;

/** 'model': predictions a model bundle wrote for the device (src/models). */
export type SourceKind = 'mqtt' | 'http' | 'serial' | 'import' | 'model';

/** A decoded device message: many readings that share a device, a time and a sequence number. */
export interface Message {
  device: string;
  ts: number;
  seq?: number;
  /** Profile named by the device on its message (binds the device on first sight). */
  profile?: string;
  values: Record<string, number>;
  /** Non-numeric fields the device sent (status strings and the like), kept for the live view. */
  attributes?: Record<string, string | boolean>;
  source: SourceKind;
  receivedAt: number;
}

/** Why a message (or part of one) was refused: always names the field and the rule. */
export interface Rejection {
  field: string;
  rule: string;
  message: string;
}

export function messageToReadings(m: Message): Reading[] {
  const out: Reading[] = [];
  for (const metric in m.values) {
    const r: Reading = { device: m.device, metric, ts: m.ts, value: m.values[metric] };
    if (m.seq !== undefined) r.seq = m.seq;
    out.push(r);
  }
  return out;
}
