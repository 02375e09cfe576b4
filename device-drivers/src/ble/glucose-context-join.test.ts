import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { parseGatt } from '../gatt/decode-gatt.js';
import { hex, waitFor } from '../test-support.js';
import type { DriverError } from '../errors.js';
import type { DriverReading } from '../types.js';
import { BleSource } from './ble-source.js';
import type { BleCentral, GattLink } from './gatt-link.js';
import { GlucoseContextJoin } from './glucose-context-join.js';

// Values composed by hand from the Bluetooth GSS layouts of 0x2A18 and 0x2A34:
// 0x2A18 flags 0x12 (concentration + type/location, context follows), sequence 7,
// 2024-03-15 08:30:00, 95 mg/dL (SFLOAT 95e-5 kg/L = 0xB05F), capillary whole blood/finger.
const MEASUREMENT_7 = hex('12 07 00 e8 07 03 0f 08 1e 00 5f b0 11');
// The same without the context-follows flag, sequence 8.
const MEASUREMENT_8 = hex('02 08 00 e8 07 03 0f 09 00 00 5f b0 11');
// 0x2A34 flags 0x03 (carbohydrate, meal), sequence 7, breakfast 45 g (SFLOAT 45e-3 kg =
// 0xD02D), preprandial.
const CONTEXT_7 = hex('03 07 00 01 2d d0 01');
// flags 0x54 (tester-health, medication in kg, HbA1c): sequence 7, self/no health issues
// (0x51), rapid acting insulin 4 mg (SFLOAT 4e-6 kg = 0xA004), HbA1c 6.5 % (0xF041).
const CONTEXT_7_MORE = hex('54 07 00 51 01 04 a0 41 f0');
// flags 0x0f (carbohydrate, meal, tester-health, exercise), sequence 7: carbohydrate id 9
// (reserved) 45 g, meal 6 (reserved), tester 0xF (not available) with health 5 (no health
// issues) = 0x5F, exercise 600 s (0x0258) at 150 % (0x96, out of the 0-100 range).
const CONTEXT_7_ODD = hex('0f 07 00 09 2d d0 06 5f 58 02 96');

function joiner() {
  const readings: DriverReading[] = [];
  const join = new GlucoseContextJoin({ emit: (r) => readings.push(r), waitMs: 60_000 });

  return { readings, join };
}

test('a measurement whose flags say a context follows waits for it and carries it', () => {
  const { readings, join } = joiner();

  join.measurement(parseGatt('2a18', MEASUREMENT_7));
  const waited = readings.length;
  const joined = join.context(parseGatt('2a34', CONTEXT_7));

  assert.is(waited, 0);
  assert.ok(joined);
  assert.is(readings.length, 1);
  assert.is(readings[0].value, 95);
  assert.equal(readings[0].glucoseContext, {
    meal: 'preprandial',
    carbohydrate: { meal: 'breakfast', grams: 45 },
  });
});

test('tester, health, medication and HbA1c in their units', () => {
  const { readings, join } = joiner();

  join.measurement(parseGatt('2a18', MEASUREMENT_7));
  join.context(parseGatt('2a34', CONTEXT_7_MORE));

  assert.equal(readings[0].glucoseContext, {
    tester: 'self',
    health: 'no health issues',
    medication: { kind: 'rapid acting insulin', mg: 4 },
    hba1cPercent: 6.5,
  });
});

test('reserved, not-available and out-of-range context values are left out, not guessed', () => {
  const { readings, join } = joiner();

  join.measurement(parseGatt('2a18', MEASUREMENT_7));
  join.context(parseGatt('2a34', CONTEXT_7_ODD));

  assert.is(readings[0].value, 95);
  assert.equal(readings[0].glucoseContext, {
    carbohydrate: { grams: 45 },
    health: 'no health issues',
  });
});

test('without the flag at once; a context that never comes does not hold the reading back', () => {
  const { readings, join } = joiner();

  join.measurement(parseGatt('2a18', MEASUREMENT_7));
  join.measurement(parseGatt('2a18', MEASUREMENT_8));
  const late = join.context(parseGatt('2a34', CONTEXT_7));

  assert.is(readings.length, 2);
  assert.ok(readings.every((r) => r.glucoseContext === undefined));
  assert.not.ok(late, 'the context of a measurement already sent is not joined');
});

test('BleSource joins them on the link; an orphan context is a SYNC error', async () => {
  const subs = new Map<string, (b: Uint8Array) => void>();
  const link: GattLink = {
    characteristics: ['2a18', '2a34'],
    read: () => Promise.resolve(new Uint8Array(0)),
    subscribe: (uuid, onValue) => Promise.resolve(void subs.set(uuid, onValue)),
    write: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    onDisconnect: () => undefined,
  };
  const central: BleCentral = {
    connect: () => Promise.resolve(link),
    close: () => Promise.resolve(),
  };
  const source = new BleSource({ id: 'gl', driver: 'ble-gatt', ble: { name: 'meter' } }, central);
  const readings: DriverReading[] = [];
  const errors: DriverError[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('error', (e) => errors.push(e));
  await source.start();

  subs.get('2a18')?.(MEASUREMENT_7);
  subs.get('2a34')?.(CONTEXT_7);
  subs.get('2a34')?.(CONTEXT_7);
  await waitFor(() => readings.length === 1);
  await source.stop();

  assert.equal(readings[0].glucoseContext?.meal, 'preprandial');
  assert.equal(
    errors.map((e) => e.code),
    ['SYNC'],
  );
});

test.run();
