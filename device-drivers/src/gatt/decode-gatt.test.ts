import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DriverError } from '../errors.js';
import { hex, readFixture } from '../test-support.js';
import { decodeGatt, parseGatt } from './decode-gatt.js';
import { weightContext } from './weight-feature.js';

interface Fixture {
  vectors: Array<{
    name: string;
    uuid: string;
    hex: string;
    local?: string;
    readings: object[];
    withheld?: { reason: string; count: number };
  }>;
  errors: Array<{ name: string; uuid: string; hex: string; code: string; offset?: number }>;
}

const fixture = readFixture<Fixture>(new URL('./fixtures/gatt-vectors.json', import.meta.url));
const device = { id: 'd-1', transport: 'ble' as const };

for (const v of fixture.vectors) {
  test(`${v.uuid} ${v.name}`, () => {
    const decoded = parseGatt(v.uuid, hex(v.hex));
    const readings = decoded.readings;
    const withoutTime = readings.map(({ deviceTime: _t, ...rest }) => rest);

    assert.equal(withoutTime, v.readings);
    assert.equal(decoded.withheld, v.withheld);
    for (const r of readings) {
      assert.is(r.deviceTime?.getTime(), v.local ? new Date(v.local).getTime() : undefined);
      createObservation({ ...r, patient: 'p-1', device });
    }
  });
}

for (const e of fixture.errors) {
  test(`${e.uuid} error: ${e.name}`, () => {
    try {
      decodeGatt(e.uuid, hex(e.hex));
      assert.unreachable('decoded malformed bytes');
    } catch (err) {
      assert.instance(err, DriverError);
      assert.is((err as DriverError).code, e.code);
      assert.is((err as DriverError).offset, e.offset);
    }
  });
}

test('weight is rounded to the Weight Scale Feature resolution', () => {
  const context = weightContext(hex('1f 00 00 00'));
  const [reading] = decodeGatt('2a9d', hex('00 43 3d'), context);

  assert.is(context.weightResolutionKg, 0.1);
  assert.is(reading.value, 78.4);
  assert.is(decodeGatt('2a9d', hex('00 43 3d'))[0].value, 78.415);
});

test('glucose in mol/L goes out in mmol/L under LOINC 15074-8, never 2339-0', () => {
  // [GSS 0x2A18 flags bit 2] mol/L: 53 × 10^-4 mol/L = 5.3 mmol/L.
  const [molar] = decodeGatt('2a18', hex('06 02 00 e8 07 03 0f 07 2d 00 35 c0 12'));
  const [mass] = decodeGatt('2a18', hex('02 01 00 e8 07 03 0f 07 2d 00 5f b0 11'));
  const loincOf = (r: typeof molar) => createObservation({ ...r, patient: 'p-1', device }).loinc;

  assert.equal([molar.value, molar.unit, loincOf(molar)], [5.3, 'mmol/L', '15074-8']);
  assert.equal([mass.value, mass.unit, loincOf(mass)], [95, 'mg/dL', '2339-0']);
});

test('glucose context fields decode', () => {
  const { fields } = parseGatt('2a34', hex('46 01 00 01 51 41 f0'));

  assert.is(fields.meal, 'preprandial');
  assert.is(fields.tester, 'self');
  assert.is(fields.health, 'no health issues');
  assert.is((fields.hba1cPercent as { value: number }).value, 6.5);
});

test('HR RR intervals are in seconds', () => {
  const { fields } = parseGatt('2a37', hex('1f 82 00 23 01 00 04 00 02'));

  assert.equal(fields.rrIntervalsS, [1, 0.5]);
  assert.is(fields.energyExpendedKj, 291);
});

test.run();
