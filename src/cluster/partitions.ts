/**
 * How devices map to partitions: the same function nats-server applies in its
 * `{{partition(N, 1)}}` subject mapping (FNV-1a, 32 bit, of the device token, modulo N), so a
 * node that acquires partition p can tell which stored devices are p's without asking the server.
 */
export function partitionOf(device: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(device, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** Subject a device's telemetry is published on (MQTT `devices/<id>/telemetry` becomes this). */
export const deviceSubject = (device: string): string => `devices.${device}.telemetry`;

/** The mapped subject, as the server rewrites it. */
export const partitionSubject = (p: number, device = '*'): string => `part.${p}.devices.${device}.telemetry`;

/** The JetStream stream holding one partition. */
export const partitionStream = (p: number): string => `FS_PART_${p}`;

/** The device id in a mapped subject `part.<n>.devices.<id>.telemetry`. */
export function deviceOfSubject(subject: string): string | null {
  const t = subject.split('.');
  return t.length === 5 && t[0] === 'part' && t[2] === 'devices' && t[4] === 'telemetry' ? t[3] : null;
}

/** The account mapping nats-server needs (server config; see docs/scale-out.md). */
export function natsMappings(partitions: number): string {
  return `mappings = {\n  "devices.*.telemetry": "part.{{partition(${partitions},1)}}.devices.{{wildcard(1)}}.telemetry"\n}`;
}

/** What a partition's stream captures. */
export const partitionFilter = (p: number): string => `part.${p}.>`;
