import { ConfigError } from '../../config.js';
import { isValidDeviceId } from '../../pipeline/decode.js';
import { SERIAL_INTEGRITY, type SerialIntegrity } from './serial-frame.js';
import { parseSerialSpec } from './serial.js';

/** One device on one port: an entry of `sources.serial` in the config file. */
export interface SerialPortConfig {
  path: string;
  deviceId: string;
  /** Default 115200. */
  baudRate: number;
  /** Default: the serialIntegrity setting. */
  integrity: SerialIntegrity;
}

const KNOWN = ['path', 'deviceId', 'baudRate', 'integrity'];

/**
 * The serial ports from both places they are given: `sources.serial[]` entries in the config file,
 * and the `serial` setting (FIELDSCOPE_SERIAL, or --serial PATH --serial-device ID) as
 * `PATH[:BAUD]=DEVICE[@crc|optional|none]`, comma-separated. A bad one names where it came from.
 */
export function serialPorts(section: unknown, flat: string | null, defaultIntegrity: SerialIntegrity): SerialPortConfig[] {
  const ports = [...fromSection(section, defaultIntegrity), ...fromFlat(flat, defaultIntegrity)];
  const seen = new Set<string>();
  for (const p of ports) {
    if (seen.has(p.path)) throw new ConfigError(`serial port ${p.path} is given twice (rule unique_path)`);
    seen.add(p.path);
  }
  return ports;
}

function fromSection(section: unknown, defaultIntegrity: SerialIntegrity): SerialPortConfig[] {
  if (section === undefined || section === null) return [];
  if (!Array.isArray(section)) throw new ConfigError('sources.serial must be a list of { path, deviceId, baudRate?, integrity? } (rule array)');
  return section.map((raw, i) => {
    const at = `sources.serial[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${at} must be an object (rule object)`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!KNOWN.includes(k)) throw new ConfigError(`${at}: unknown setting "${k}" (known: ${KNOWN.join(', ')})`);
    if (typeof e.path !== 'string' || !e.path) throw new ConfigError(`${at}.path: a device path is required, e.g. /dev/ttyUSB0 (rule required)`);
    if (typeof e.deviceId !== 'string' || !isValidDeviceId(e.deviceId))
      throw new ConfigError(`${at}.deviceId: 1-128 characters of letters, digits, . _ : - (rule device_id)`);
    const baudRate = e.baudRate ?? 115200;
    if (typeof baudRate !== 'number' || !Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000)
      throw new ConfigError(`${at}.baudRate: an integer 50..4000000 (rule range)`);
    const integrity = e.integrity ?? defaultIntegrity;
    if (!SERIAL_INTEGRITY.includes(integrity as SerialIntegrity))
      throw new ConfigError(`${at}.integrity: one of ${SERIAL_INTEGRITY.join(', ')} (rule enum), got "${String(integrity)}"`);
    return { path: e.path, deviceId: e.deviceId, baudRate, integrity: integrity as SerialIntegrity };
  });
}

function fromFlat(spec: string | null, defaultIntegrity: SerialIntegrity): SerialPortConfig[] {
  if (!spec) return [];
  return spec
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const eq = item.lastIndexOf('=');
      if (eq < 1) throw new ConfigError(`serial "${item}": expected PATH[:BAUD]=DEVICE_ID[@crc|optional|none]`);
      // '@' cannot appear in a device id, so it can carry the port's own integrity setting.
      const [deviceId, own] = item.slice(eq + 1).split('@');
      if (!isValidDeviceId(deviceId)) throw new ConfigError(`serial "${item}": device id must be 1-128 characters of letters, digits, . _ : -`);
      const integrity = (own ?? defaultIntegrity) as SerialIntegrity;
      if (!SERIAL_INTEGRITY.includes(integrity))
        throw new ConfigError(`serial "${item}": integrity must be one of ${SERIAL_INTEGRITY.join(', ')}, got "${own ?? defaultIntegrity}"`);
      try {
        return { ...parseSerialSpec(item.slice(0, eq)), deviceId, integrity };
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    });
}
