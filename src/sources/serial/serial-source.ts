import type { SourcePlugin } from '../plugin.js';
import { SerialLink } from './serial.js';
import { serialPorts } from './serial-config.js';

/** One SerialLink per configured port; each is also the command transport to its device. */
export const serialSource: SourcePlugin = {
  type: 'serial',
  create(section, kit) {
    const { config, pipeline, metrics, logger, commands } = kit;
    return serialPorts(section, config.serial, config.serialIntegrity).map(({ path, baudRate, deviceId, integrity }) => {
      const link = new SerialLink({
        path,
        baudRate,
        device: deviceId,
        integrity,
        pipeline,
        metrics,
        logger,
        onCommandReply: (d, r) => void commands.reply(d, r).catch(() => {}),
      });
      commands.addTransport(link, true);
      return link;
    });
  },
};
