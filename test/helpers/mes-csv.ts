import { openSync, writeSync, closeSync } from 'node:fs';

/**
 * Writes a wide CSV shaped like the MES seed's vibration data (Time in seconds since the start of
 * the measurement, one column per fault class, machine and sensor), `rows` rows over 20 devices
 * (g1..g5 x sensor1..sensor4), 1 ms apart per device. Values are deterministic.
 */
export function writeMesCsv(path: string, rows: number): { devices: string[]; rowsPerDevice: number[] } {
  const fd = openSync(path, 'w');
  const devices: string[] = [];
  for (let g = 1; g <= 5; g++) for (let s = 1; s <= 4; s++) devices.push(`g${g},sensor${s}`);
  const rowsPerDevice = devices.map((_, i) => Math.floor(rows / devices.length) + (i < rows % devices.length ? 1 : 0));
  let buf = 'Time,Normal,Type 1,Type 2,Type 3,machine,sensor\n';
  let x = 12345;
  const next = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return ((x / 0x7fffffff) * 10 - 5).toFixed(5);
  };
  devices.forEach((d, di) => {
    for (let i = 0; i < rowsPerDevice[di]; i++) {
      buf += `${(i / 1000).toFixed(3)},${next()},${next()},${next()},${next()},${d}\n`;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
  });
  writeSync(fd, buf);
  closeSync(fd);
  return { devices: devices.map((d) => d.replace(',', '-')), rowsPerDevice };
}
