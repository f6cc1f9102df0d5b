/** The topic scheme: devices/{deviceId}/{kind}. One place, so every transport and ACL agrees. */
export type TopicKind = 'telemetry' | 'state' | 'commands' | 'commands/ack' | 'ota';

const PATTERN = /^devices\/([^/]+)\/(telemetry|state|commands|commands\/ack|ota)$/;

export function parseDeviceTopic(topic: string): { device: string; kind: TopicKind } | null {
  const m = PATTERN.exec(topic);
  return m ? { device: m[1], kind: m[2] as TopicKind } : null;
}

export function deviceTopic(device: string, kind: TopicKind): string {
  return `devices/${device}/${kind}`;
}
