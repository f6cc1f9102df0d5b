import type { CommandService } from './commands.js';
import type { DeviceDirectory } from './directory.js';
import type { FirmwareLibrary } from './firmware.js';
import type { OtaService } from './ota.js';

/** What the device-management routes (commands, metadata, equipment, firmware) are handed. */
export interface DeviceServices {
  commands: CommandService;
  directory: DeviceDirectory;
  firmware: FirmwareLibrary;
  ota: OtaService;
  maxFirmwareBytes: number;
}
