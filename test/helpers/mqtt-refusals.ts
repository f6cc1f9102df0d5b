// What a broker refuses, as codes: a CONNACK's and a SUBACK's.
import mqtt, { type MqttClient } from 'mqtt';

/** Connects, or rejects with the CONNACK code the broker refused with. */
export function connectOnce(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
}

/** The CONNACK code a connection is refused with; undefined when it is accepted (then closed). */
export async function refusedCode(url: string, opts: mqtt.IClientOptions): Promise<number | undefined> {
  try {
    const c = await connectOnce(url, opts);
    await c.endAsync(true);
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

/** The SUBACK code for one subscription (128: refused). */
export async function granted(c: MqttClient, topic: string): Promise<number> {
  try {
    return (await c.subscribeAsync(topic, { qos: 1 }))[0].qos;
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted) return packet.granted[0];
    throw err;
  }
}
