import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { hex, readFixture } from '../test-support.js';
import { DriverError } from '../errors.js';
import { decodeSerial } from './decode-serial.js';

interface Fixture {
  source: string;
  vectors: Array<{
    name: string;
    hex: string;
    spo2: number | null;
    pulseRate: number | null;
    quality: string[];
  }>;
}

const files = {
  'contec-cms50d': 'contec-live5.json',
  'contec-cms50d-v46': 'contec-v46.json',
  'nonin-format2': 'nonin-format2.json',
} as const;

for (const [driver, file] of Object.entries(files)) {
  const fixture = readFixture<Fixture>(new URL(`./fixtures/${file}`, import.meta.url));
  for (const v of fixture.vectors) {
    test(`${driver}: ${v.name}`, () => {
      const readings = decodeSerial(driver, hex(v.hex));
      const spo2 = readings.find((r) => r.code === 'spo2')!;
      const pulse = readings.find((r) => r.code === 'heart-rate')!;

      assert.is(readings.length, 2);
      assert.is(spo2.value, v.spo2 ?? undefined);
      assert.is(pulse.value, v.pulseRate ?? undefined);
      assert.is(spo2.dataAbsentReason, v.spo2 === null ? 'temp-unknown' : undefined);
      assert.is(pulse.dataAbsentReason, v.pulseRate === null ? 'temp-unknown' : undefined);
      assert.equal(spo2.quality, v.quality);
      assert.is(spo2.unit, v.spo2 === null ? undefined : '%');
    });
  }
}

test('contec searching frames are preliminary', () => {
  const [spo2] = decodeSerial('contec-cms50d', hex('80 00 60 7f 7f'));

  assert.is(spo2.status, 'preliminary');
});

test('decodeSerial names the offset of garbage', () => {
  const err = catchError(() => decodeSerial('contec-cms50d', hex('c6 40 05 48 61 12 c6 40')));

  assert.is(err.code, 'SYNC');
  assert.is(err.offset, 5);
});

test('decodeSerial reports a cut frame as TRUNCATED at its start', () => {
  const err = catchError(() =>
    decodeSerial('contec-cms50d-v46', hex('01 e0 c6 c0 84 c8 e1 ff ff 01 e0')),
  );

  assert.is(err.code, 'TRUNCATED');
  assert.is(err.offset, 9);
});

test('a Nonin frame with a wrong checksum is a CHECKSUM error', () => {
  const err = catchError(() => decodeSerial('nonin-format2', hex('01 87 80 00 09')));

  assert.is(err.code, 'CHECKSUM');
  assert.is(err.offset, 0);
});

test('an unknown driver is UNSUPPORTED', () => {
  assert.is(catchError(() => decodeSerial('acme', hex('00'))).code, 'UNSUPPORTED');
});

function catchError(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, DriverError);
    return e as DriverError;
  }
  throw new Error('expected a DriverError');
}

test.run();
