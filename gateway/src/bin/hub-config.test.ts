import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ConfigError, loadHubConfig } from './hub-config.js';

test('defaults: embedded database, 8080, 8883 over TLS', () => {
  const c = loadHubConfig({});

  assert.is(c.databaseUrl, undefined);
  assert.is(c.httpPort, 8080);
  assert.is(c.mqttPort, 8883);
  assert.ok(c.dataDir.endsWith('.data'));
});

test('a wrong value names the variable', () => {
  try {
    loadHubConfig({ SPARKDEN_HTTP_PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, /SPARKDEN_HTTP_PORT/);
    assert.match((e as Error).message, /DATABASE_URL: must be a postgres/);
  }
});

test('a port out of range is refused', () => {
  assert.throws(() => loadHubConfig({ SPARKDEN_MQTT_PORT: '70000' }), /SPARKDEN_MQTT_PORT/);
});

test.run();
