import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialPorts } from '../../src/sources/serial/serial-config.js';
import { loadConfig } from '../../src/config.js';

test('sources.serial entries and the --serial flags give the same ports', () => {
  const fromSection = serialPorts([{ path: '/dev/ttyUSB0', deviceId: 'meter-01', baudRate: 9600, integrity: 'crc' }], null, 'optional');
  const fromFlag = serialPorts(undefined, '/dev/ttyUSB0:9600=meter-01@crc', 'optional');
  assert.deepEqual(fromSection, fromFlag);
  assert.deepEqual(fromSection, [{ path: '/dev/ttyUSB0', deviceId: 'meter-01', baudRate: 9600, integrity: 'crc' }]);
  // Defaults: 115200 baud, the global integrity.
  assert.deepEqual(serialPorts([{ path: '/dev/a', deviceId: 'x' }], null, 'none'), [{ path: '/dev/a', deviceId: 'x', baudRate: 115200, integrity: 'none' }]);
  // Both places at once: the flag adds to the file's list.
  assert.equal(serialPorts([{ path: '/dev/a', deviceId: 'x' }], '/dev/b=y', 'optional').length, 2);
});

test('a bad sources.serial entry names the entry, the field and the rule', () => {
  const cases: [unknown, RegExp][] = [
    [{ path: '/dev/a' }, /sources\.serial should|sources\.serial must be a list .*rule array/],
    [[{ deviceId: 'x' }], /sources\.serial\[0\]\.path: .*rule required/],
    [[{ path: '/dev/a', deviceId: 'bad id!' }], /sources\.serial\[0\]\.deviceId: .*rule device_id/],
    [[{ path: '/dev/a', deviceId: 'x', baudRate: 7 }], /sources\.serial\[0\]\.baudRate: .*rule range/],
    [[{ path: '/dev/a', deviceId: 'x', integrity: 'maybe' }], /sources\.serial\[0\]\.integrity: .*rule enum/],
    [[{ path: '/dev/a', deviceId: 'x', speed: 1 }], /sources\.serial\[0\]: unknown setting "speed"/],
    [
      [
        { path: '/dev/a', deviceId: 'x' },
        { path: '/dev/a', deviceId: 'y' },
      ],
      /\/dev\/a is given twice \(rule unique_path\)/,
    ],
  ];
  for (const [section, message] of cases) assert.throws(() => serialPorts(section, null, 'optional'), message);
});

test('sources come from the config file, the environment (JSON) or --sources', () => {
  const env = { FIELDSCOPE_SOURCES: '{"serial":[{"path":"/dev/a","deviceId":"x"}]}' };
  assert.deepEqual(loadConfig({ env }).sources, { serial: [{ path: '/dev/a', deviceId: 'x' }] });
  assert.throws(() => loadConfig({ env: { FIELDSCOPE_SOURCES: '{serial' } }), /sources \(FIELDSCOPE_SOURCES\): expected JSON/);
});
