// The broker's pre-parser packet-size watch (src/sources/mqtt-packet-size.ts) runs on every byte an
// MQTT connection sends. Its cost per packet, beside the cost of the parser it guards (mqtt-packet,
// which Aedes runs on the same bytes anyway), on a stream of QoS1 telemetry publishes.
import mqttPacket from 'mqtt-packet';
import { PacketSizeWatch } from '../src/sources/mqtt-broker/mqtt-packet-size.js';
import { median } from './lib/procs.js';
import type { Figure } from './lib/report.js';

function stream(packets: number): Buffer[] {
  const one = (i: number) =>
    mqttPacket.generate({
      cmd: 'publish',
      topic: `devices/dev-${i % 100}/telemetry`,
      payload: Buffer.from(JSON.stringify({ seq: i, v: 3.3, a: 0.12, w: 0.4 })),
      qos: 1,
      messageId: (i % 65535) + 1,
      retain: false,
      dup: false,
    });
  const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'bench', keepalive: 30 });
  const all = Buffer.concat([connect, ...Array.from({ length: packets }, (_, i) => one(i))]);
  // As a socket hands them over: 64 KiB reads.
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += 65536) chunks.push(all.subarray(o, o + 65536));
  return chunks;
}

export async function benchPacketWatch(o: { runs: number; packets: number }): Promise<Figure> {
  const chunks = stream(o.packets);
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const watch = new PacketSizeWatch({ beforeAccept: 16 * 1024, afterAccept: 1024 * 1024 }, { accepted: true });
    let t = performance.now();
    for (const c of chunks) if (watch.feed(c)) throw new Error('refused a valid stream');
    ours.push(o.packets / ((performance.now() - t) / 1000));
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let seen = 0;
    parser.on('packet', () => seen++);
    t = performance.now();
    for (const c of chunks) parser.parse(c);
    base.push(o.packets / ((performance.now() - t) / 1000));
    if (seen !== o.packets + 1) throw new Error(`parser saw ${seen} packets`);
  }
  const value = median(ours);
  const b = median(base);
  return {
    id: 'packet-watch',
    name: `MQTT packet-size watch on ${o.packets.toLocaleString('en-US')} QoS1 publishes (~100 B), 64 KiB reads`,
    value,
    unit: 'packets/s',
    runs: ours,
    baseline: { name: 'mqtt-packet parser on the same bytes (what Aedes runs anyway)', value: b, runs: base },
    ratio: value / b,
    target: 'small beside the parser',
    met: value > 5 * b,
    notes: `watch adds ~${((1 / value / (1 / b)) * 100).toFixed(1)}% to the parser's time per packet`,
  };
}
