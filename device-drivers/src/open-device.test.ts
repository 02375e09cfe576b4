import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { BleSource } from './ble/ble-source.js';
import { MllpListener } from './hl7/mllp-listener.js';
import { MqttJsonSource } from './mqtt/mqtt-json-source.js';
import { openDevice } from './open-device.js';
import { SerialSource } from './serial/serial-source.js';
import { DRIVERS, type DeviceSpec } from './types.js';

const specs: Record<(typeof DRIVERS)[number], DeviceSpec> = {
  'contec-cms50d': { id: 'a', driver: 'contec-cms50d', path: '/dev/null' },
  'contec-cms50d-v46': { id: 'b', driver: 'contec-cms50d-v46', path: '/dev/null' },
  'nonin-format2': { id: 'c', driver: 'nonin-format2', path: '/dev/null' },
  'ble-gatt': { id: 'd', driver: 'ble-gatt', ble: { name: 'cuff' } },
  'hl7-mllp': { id: 'e', driver: 'hl7-mllp', mllp: { port: 0 } },
  'mqtt-json': {
    id: 'f',
    driver: 'mqtt-json',
    mqtt: { url: 'mqtt://127.0.0.1', topic: 't', mapping: [] },
  },
};
const classes = {
  'contec-cms50d': SerialSource,
  'contec-cms50d-v46': SerialSource,
  'nonin-format2': SerialSource,
  'ble-gatt': BleSource,
  'hl7-mllp': MllpListener,
  'mqtt-json': MqttJsonSource,
};

test('every driver opens to its source, idle until start()', () => {
  for (const driver of DRIVERS) {
    const source = openDevice(specs[driver]);
    assert.instance(source, classes[driver], driver);
    assert.is(source.state, 'disconnected');
  }
});

test('a spec missing its transport options is a TypeError naming the option', () => {
  assert.throws(() => openDevice({ id: 'x', driver: 'contec-cms50d' }), /"path"/);
  assert.throws(() => openDevice({ id: 'x', driver: 'ble-gatt' }), /"ble.address"/);
  assert.throws(() => openDevice({ id: 'x', driver: 'hl7-mllp' }), /"mllp.port"/);
  assert.throws(() => openDevice({ id: 'x', driver: 'mqtt-json' }), /"mqtt.url"/);
  assert.throws(() => openDevice({ id: 'x', driver: 'acme' as 'ble-gatt' }), /"driver"/);
});

test.run();
