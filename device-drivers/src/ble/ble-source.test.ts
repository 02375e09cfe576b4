import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { decodeGatt } from '../gatt/decode-gatt.js';
import { openDevice } from '../open-device.js';
import { BLE_SIMULATORS, startBleSimulator } from '../sim/ble-simulator.js';
import { hex, waitFor } from '../test-support.js';
import type { CuffPressure, DeviceState, DriverReading } from '../types.js';
import { BleSource } from './ble-source.js';
import type { BleCentral, GattLink } from './gatt-link.js';

test('without a Bluetooth adapter: one NO_ADAPTER error, state error, no retry, no hang', async () => {
  const source = openDevice({
    id: 'hr',
    driver: 'ble-gatt',
    ble: { address: 'aa:bb:cc:dd:ee:ff' },
  });
  const errors: string[] = [];
  const states: DeviceState[] = [];
  source.on('error', (e) => errors.push(e.code));
  source.on('state', (s) => states.push(s));

  await source.start();
  await new Promise((r) => setTimeout(r, 200));
  await source.stop();

  assert.equal(errors, ['NO_ADAPTER']);
  assert.equal(states, ['connecting', 'error', 'disconnected']);
});

test('glucose meter: stored records through RACP, then new ones; after a drop only newer records', async () => {
  const sim = startBleSimulator({
    device: 'ble-glucose-meter',
    scenario: 'flaky-link',
    intervalMs: 30,
  });
  const source = new BleSource(
    {
      id: 'gl',
      driver: 'ble-gatt',
      ble: { name: 'sim', fetchStored: true },
      reconnect: { minMs: 10, maxMs: 20 },
    },
    sim,
  );
  const readings: DriverReading[] = [];
  const states: DeviceState[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('state', (s) => states.push(s));

  await source.start();
  await waitFor(
    () => states.filter((s) => s === 'connected').length >= 3 && readings.length >= sim.recordCount,
  );
  await source.stop();
  await sim.stop();

  // The stored records (90, 100, 110 mg/dL) come first among themselves; on a loaded machine a
  // live measurement (105 mg/dL) may be notified before the RACP transfer starts.
  assert.equal(
    readings
      .map((r) => r.value)
      .filter((v) => v !== 105)
      .slice(0, 3),
    [90, 100, 110],
  );
  // Every record arrives once: none lost across the drops, none fetched twice.
  assert.ok(readings.length <= sim.recordCount, 'a record was delivered twice');
});

test('glucose meter: stored records that flag a context carry it, from storage and live', async () => {
  const sim = startBleSimulator({
    device: 'ble-glucose-meter',
    scenario: 'normal',
    intervalMs: 20,
  });
  const source = new BleSource(
    { id: 'gl', driver: 'ble-gatt', ble: { name: 'sim', fetchStored: true } },
    sim,
  );
  const readings: DriverReading[] = [];
  const errors: string[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('error', (e) => errors.push(e.code));

  await source.start();
  await waitFor(() => readings.length >= 5);
  await source.stop();
  await sim.stop();

  // Stored records 1 and 3 (90 and 110 mg/dL) flag a context; record 2 does not.
  const stored = readings.filter((r) => [90, 100, 110].includes(r.value ?? 0));
  assert.equal(
    stored.map((r) => [r.value, r.glucoseContext?.meal, r.glucoseContext?.tester]),
    [
      [90, 'preprandial', 'self'],
      [100, undefined, undefined],
      [110, 'postprandial', 'self'],
    ],
  );
  // Live records 4 and 5 (105 mg/dL): the odd one carries its context too.
  assert.ok(readings.some((r) => r.value === 105 && r.glucoseContext?.meal !== undefined));
  assert.equal(errors, []);
});

test('blood pressure: cuff pressure while inflating is an event, never a reading', async () => {
  const sim = startBleSimulator({
    device: 'ble-blood-pressure',
    scenario: 'hypertensive',
    intervalMs: 10,
  });
  const source = new BleSource({ id: 'bp', driver: 'ble-gatt', ble: { name: 'sim' } }, sim);
  const readings: DriverReading[] = [];
  const cuff: CuffPressure[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('cuffPressure', (p) => cuff.push(p));

  await source.start();
  await waitFor(() => readings.some((r) => r.components) && cuff.length >= 3);
  await source.stop();
  await sim.stop();

  const panel = readings.find((r) => r.components)!;
  assert.equal(
    panel.components!.map((c) => c.value),
    [168, 104, 125],
  );
  // The simulator inflates through 60, 120 and 180 mmHg before each measurement.
  assert.ok(cuff.every((p) => p.unit === 'mm[Hg]' && [60, 120, 180].includes(p.value ?? -1)));
  assert.ok(readings.every((r) => r.code !== 'bp-panel' || r.components !== undefined));
  assert.ok(readings.every((r) => r.value === undefined || ![60, 120, 180].includes(r.value)));
});

/** A peripheral that notifies the given values once subscribed. */
function scriptedCentral(values: Array<[string, string]>): BleCentral {
  const characteristics = [...new Set(values.map(([uuid]) => uuid))];

  return {
    connect: () => {
      const subs = new Map<string, (b: Uint8Array) => void>();
      const link: GattLink = {
        characteristics,
        read: () => Promise.resolve(new Uint8Array(0)),
        subscribe: (uuid, onValue) => {
          subs.set(uuid, onValue);
          if (subs.size === characteristics.length) {
            setImmediate(() => values.forEach(([u, h]) => subs.get(u)?.(hex(h))));
          }
          return Promise.resolve();
        },
        write: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        onDisconnect: () => undefined,
      };
      return Promise.resolve(link);
    },
    close: () => Promise.resolve(),
  };
}

test('demo and test PLX data and glucose control solution are withheld, by reason', async () => {
  const central = scriptedCentral([
    // [GSS PLX measurement status] bit 10 demonstration, bit 11 testing.
    ['2a5e', '02 5f 00 46 00 00 04'],
    ['2a5f', '04 61 00 48 00 00 08'],
    // [GSS glucose] type 10 / location 4: control solution, context follows (sequence 4).
    ['2a18', '12 04 00 e8 07 03 0f 07 2d 00 5f b0 4a'],
    ['2a34', '02 04 00 01'],
    // A patient's values still come through.
    ['2a5e', '00 61 00 48 00'],
  ]);
  const source = new BleSource({ id: 'ox', driver: 'ble-gatt', ble: { name: 'x' } }, central);
  const readings: DriverReading[] = [];
  const withheld: string[] = [];
  const errors: string[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('readingsWithheld', (w) => withheld.push(`${w.characteristic} ${w.reason} ${w.count}`));
  source.on('error', (e) => errors.push(e.code));

  await source.start();
  await waitFor(() => readings.length >= 2);
  await source.stop();

  assert.equal(withheld, ['2a5e demo-data 2', '2a5f test-data 2', '2a18 control-solution 1']);
  assert.equal(
    readings.map((r) => [r.code, r.value]),
    [
      ['spo2', 97],
      ['heart-rate', 72],
    ],
  );
  assert.ok(readings.every((r) => !(r.quality ?? []).includes('demo')));
  assert.equal(errors, [], 'the control solution context finds its (withheld) measurement');
});

for (const device of BLE_SIMULATORS) {
  test(`${device}: every simulated value decodes to valid observations`, async () => {
    const sim = startBleSimulator({ device, scenario: 'finger-out', intervalMs: 5, speed: 200 });
    const readings: DriverReading[] = [];
    sim.on('value', ({ uuid, bytes }) => readings.push(...decodeGatt(uuid, bytes)));
    await waitFor(() => readings.length >= 12);
    await sim.stop();

    for (const r of readings) {
      createObservation({ ...r, patient: 'p', device: { id: 'd', transport: 'ble' } });
    }
  });
}

test.run();
