/** The topic scheme: devices/{deviceId}/{kind}. One place, so every transport and ACL agrees. */
export type TopicKind = 'telemetry' | 'state' | 'commands' | 'commands/ack' | 'ota';

const PATTERN = /^devices\/([^/]+)\/(telemetry|state|commands|commands\/ack|ota)$/;

export type DeviceTopic = Readonly<{ device: string; kind: TopicKind }>;

/**
 * Topics already parsed: a device publishes to the same topic millions of times, and the broker and
 * its ACL each parse it per publish (a match array, two strings and an object each time). Results
 * are frozen, so sharing them is safe; bounded, so a sender of ever new topics costs no more memory.
 */
const parsed = new Map<string, DeviceTopic | null>();
const PARSED_MAX = 20_000;

export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const hit = parsed.get(topic);
  if (hit !== undefined) return hit;
  const m = PATTERN.exec(topic);
  const t = m ? Object.freeze({ device: m[1], kind: m[2] as TopicKind }) : null;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(topic, t);
  return t;
}

export function deviceTopic(device: string, kind: TopicKind): string {
  return `devices/${device}/${kind}`;
}
