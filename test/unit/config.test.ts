import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, defaults, ConfigError } from '../../src/config.js';
import { tempDir } from '../helpers/app.js';

test('defaults < file < env < flags', (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const file = join(d.dir, 'fieldscope.yaml');
  writeFileSync(file, 'httpPort: 9000\nmqttPort: 9001\ndataDir: /var/lib/fs\nsimulator: false\n');
  const c = loadConfig({ file, env: { FIELDSCOPE_MQTT_PORT: '9101', FIELDSCOPE_DATA: '/srv/fs' }, flags: { dataDir: '/flag/dir' } });
  assert.equal(c.httpPort, 9000); // file
  assert.equal(c.mqttPort, 9101); // env over file
  assert.equal(c.dataDir, '/flag/dir'); // flag over env
  assert.equal(c.simulator, false);
  assert.equal(c.host, defaults.host);
});

test('a bad value names the setting and where it came from', () => {
  assert.throws(
    () => loadConfig({ env: { FIELDSCOPE_HTTP_PORT: 'eighty' } }),
    (e: Error) => e instanceof ConfigError && /environment httpPort/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ env: {}, flags: { simulator: 'maybe' } }),
    (e: Error) => e instanceof ConfigError && /simulator/.test(e.message),
  );
});

test('an unknown key in a config file is an error, not silently ignored', (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const file = join(d.dir, 'c.json');
  writeFileSync(file, JSON.stringify({ htpPort: 1 }));
  assert.throws(() => loadConfig({ file, env: {} }), /unknown setting "htpPort"/);
});
