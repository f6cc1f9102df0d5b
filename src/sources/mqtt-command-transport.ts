import type { CommandTransport } from '../model/device-admin.js';
import { deviceTopic } from '../model/topics.js';

/** What publishes to the devices' broker: the embedded one, an external one, or the listener processes. */
export interface MqttPublisher {
  publish(topic: string, payload: string, opts: { qos: 1 }): Promise<void>;
}

/** Commands reach devices through the broker they publish to: `devices/{id}/commands`, QoS 1, any device. */
export function mqttCommandTransport(broker: MqttPublisher): CommandTransport {
  return {
    kind: 'mqtt',
    reaches: () => true,
    send: (device, cmd) => broker.publish(deviceTopic(device, 'commands'), JSON.stringify(cmd), { qos: 1 }),
  };
}
