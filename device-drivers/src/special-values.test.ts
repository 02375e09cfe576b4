import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DriverError } from './errors.js';
import { parseGatt } from './gatt/decode-gatt.js';
import { decodeHl7 } from './hl7/decode-hl7.js';
import { decodeMqttJson } from './mqtt/mqtt-json.js';
import { encodeContecLive5 } from './serial/contec-live5.js';
import { encodeContecV46Packet } from './serial/contec-v46-commands.js';
import { decodeSerial } from './serial/decode-serial.js';
import { encodeNoninFrame } from './serial/nonin-format2.js';
import { propertyParams, readFixture } from './test-support.js';
import type { DriverReading } from './types.js';

// Frames that encode a special value ("no value", NaN, ±INF, NRes, reserved, a missing
// marker, text that is not a number) in a field, with every other field random: no parser
// may turn that field into a number. Each property is bounded in runs and in time.

/** [IEEE 11073-20601 Annex F] SFLOAT NaN, NRes, +INF, -INF, reserved. */
const SFLOAT_SPECIALS = [0x07ff, 0x0800, 0x07fe, 0x0802, 0x0801];
/** [IEEE 11073-20601 Annex F] FLOAT NaN, NRes, +INF, -INF, reserved. */
const FLOAT_SPECIALS = [0x007fffff, 0x00800000, 0x007ffffe, 0x00800002, 0x00800001];

interface Field {
  raw: number;
  special: boolean;
}

function field(specials: number[], max: number): fc.Arbitrary<Field> {
  return fc.oneof(
    fc.constantFrom(...specials).map((raw) => ({ raw, special: true })),
    fc
      .integer({ min: 0, max })
      .filter((raw) => !specials.includes(raw))
      .map((raw) => ({ raw, special: false })),
  );
}

const sfloat = field(SFLOAT_SPECIALS, 0xffff);
const float32 = field(FLOAT_SPECIALS, 0xffffffff);
const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u24 = (v: number) => [...u16(v), (v >> 16) & 0xff];
const u32 = (v: number) => [...u16(v & 0xffff), ...u16(v >>> 16)];
const TIME = [0xe8, 0x07, 3, 15, 8, 30, 0];
const bits = (max: number) => fc.integer({ min: 0, max });

/** Every reading of `code` has no value, and says why. */
function assertNoValue(readings: DriverReading[], code: string, what: string): void {
  for (const r of readings.filter((x) => x.code === code)) {
    assert.is(r.value, undefined, `${what}: ${code} = ${r.value}`);
    assert.ok(r.dataAbsentReason !== undefined, `${what}: ${code} without a reason`);
  }
}

test('BP 0x2A35: a special systolic, diastolic, mean or pulse is never a number', () => {
  const frame = fc.record({ flags: bits(0x1f), sys: sfloat, dia: sfloat, map: sfloat, pr: sfloat });
  fc.assert(
    fc.property(frame, bits(0xffff), ({ flags, sys, dia, map, pr }, status) => {
      const bytes = Uint8Array.from([
        flags,
        ...[sys, dia, map].flatMap((f) => u16(f.raw)),
        ...(flags & 0x02 ? TIME : []),
        ...(flags & 0x04 ? u16(pr.raw) : []),
        ...(flags & 0x08 ? [1] : []),
        ...(flags & 0x10 ? u16(status) : []),
      ]);
      const { readings } = parseGatt('2a35', bytes);
      const components = readings.find((r) => r.code === 'bp-panel')?.components ?? [];
      [sys, dia, map].forEach((f, i) => {
        if (f.special) {
          assert.is(components[i]?.value, undefined);
          assert.ok(components[i]?.dataAbsentReason !== undefined);
        }
      });
      if (flags & 0x04 && pr.special) {
        assertNoValue(readings, 'heart-rate', 'BP pulse');
      }
      // [GSS 0x2A36] the same layout is a cuff pressure: never a reading at all.
      assert.equal(parseGatt('2a36', bytes).readings, []);
    }),
    propertyParams(),
  );
});

test('temperature 0x2A1C: a special FLOAT is never a number', () => {
  fc.assert(
    fc.property(bits(0x07), float32, (flags, t) => {
      const bytes = Uint8Array.from([
        flags,
        ...u32(t.raw),
        ...(flags & 0x02 ? TIME : []),
        ...(flags & 0x04 ? [2] : []),
      ]);
      if (t.special) {
        assertNoValue(parseGatt('2a1c', bytes).readings, 'body-temp', 'temperature');
      }
    }),
    propertyParams(),
  );
});

/** [GSS PLX] measurement status 13 unavailable, 15 invalid; device status 11, 15: no value. */
function plxUnavailable(measurement: number, device: number): boolean {
  return (measurement & 0xa000) !== 0 || (device & 0x8800) !== 0;
}

test('PLX 0x2A5E and 0x2A5F: special SpO2 or pulse, or "unavailable" status, is never a number', () => {
  const input = fc.record({
    flags: bits(0x1f),
    spo2: sfloat,
    pr: sfloat,
    measurement: bits(0xffff),
    device: bits(0xffffff),
    extra: fc.array(sfloat, { minLength: 5, maxLength: 5 }),
  });
  fc.assert(
    fc.property(input, ({ flags, spo2, pr, measurement, device, extra }) => {
      const head = [flags, ...u16(spo2.raw), ...u16(pr.raw)];
      const spot = [
        ...head,
        ...(flags & 0x01 ? TIME : []),
        ...(flags & 0x02 ? u16(measurement) : []),
        ...(flags & 0x04 ? u24(device) : []),
        ...(flags & 0x08 ? u16(extra[0].raw) : []),
      ];
      const continuous = [
        ...head,
        ...(flags & 0x01 ? extra.slice(1, 3).flatMap((f) => u16(f.raw)) : []),
        ...(flags & 0x02 ? extra.slice(3, 5).flatMap((f) => u16(f.raw)) : []),
        ...(flags & 0x04 ? u16(measurement) : []),
        ...(flags & 0x08 ? u24(device) : []),
        ...(flags & 0x10 ? u16(extra[0].raw) : []),
      ];
      const cases: Array<[string, number[], number, number]> = [
        ['2a5e', spot, flags & 0x02 ? measurement : 0, flags & 0x04 ? device : 0],
        ['2a5f', continuous, flags & 0x04 ? measurement : 0, flags & 0x08 ? device : 0],
      ];
      for (const [uuid, bytes, m, d] of cases) {
        const { readings } = parseGatt(uuid, Uint8Array.from(bytes));
        if (spo2.special || plxUnavailable(m, d)) {
          assertNoValue(readings, 'spo2', uuid);
        }
        if (pr.special || plxUnavailable(m, d)) {
          assertNoValue(readings, 'heart-rate', uuid);
        }
        // [GSS PLX measurement status] bits 10, 11: demonstration or test data.
        if (m & 0x0c00) {
          assert.equal(readings, []);
        }
      }
    }),
    propertyParams(),
  );
});

test('glucose 0x2A18: a special or absent concentration is never a number', () => {
  const input = fc.record({ flags: bits(0x1f), conc: sfloat, type: bits(0xff), ann: bits(0xffff) });
  fc.assert(
    fc.property(input, ({ flags, conc, type, ann }) => {
      const bytes = Uint8Array.from([
        flags,
        ...u16(7),
        ...TIME,
        ...(flags & 0x01 ? u16(15) : []),
        ...(flags & 0x02 ? [...u16(conc.raw), type] : []),
        ...(flags & 0x08 ? u16(ann) : []),
      ]);
      if (conc.special || (flags & 0x02) === 0) {
        assertNoValue(parseGatt('2a18', bytes).readings, 'glucose', 'glucose');
      }
    }),
    propertyParams(),
  );
});

test('weight 0x2A9D: 0xFFFF (measurement unsuccessful) is never a number', () => {
  fc.assert(
    fc.property(bits(0x0f), (flags) => {
      const bytes = Uint8Array.from([
        flags,
        0xff,
        0xff,
        ...(flags & 0x02 ? TIME : []),
        ...(flags & 0x04 ? [1] : []),
        ...(flags & 0x08 ? [...u16(250), ...u16(1750)] : []),
      ]);
      assertNoValue(parseGatt('2a9d', bytes).readings, 'body-weight', 'weight');
    }),
    propertyParams(),
  );
});

test('heart rate 0x2A37: contact supported but not detected is never a number', () => {
  fc.assert(
    fc.property(bits(0x1f), bits(0xffff), (other, rate) => {
      const flags = (other & 0x19) | 0x04;
      const bytes = Uint8Array.from([
        flags,
        ...(flags & 0x01 ? u16(rate) : [rate & 0xff]),
        ...(flags & 0x08 ? u16(100) : []),
        ...(flags & 0x10 ? u16(1024) : []),
      ]);
      assertNoValue(parseGatt('2a37', bytes).readings, 'heart-rate', 'HR');
    }),
    propertyParams(),
  );
});

/** SpO2 "no value" markers and out-of-range bytes, and pulse "no value" markers. */
const noSpo2 = fc.oneof(fc.constantFrom(0, 127), fc.integer({ min: 101, max: 126 }));

test('Contec 5-byte and v4.6 frames: 0, 127/255 and SpO2 over 100 are never numbers', () => {
  const input = fc.record({
    status: bits(0xff),
    wave: bits(0xff),
    pr: fc.oneof(fc.constantFrom(0, 255), fc.integer({ min: 1, max: 254 })),
    spo2: fc.oneof(noSpo2, fc.integer({ min: 1, max: 100 })),
  });
  fc.assert(
    fc.property(input, ({ status, wave, pr, spo2 }) => {
      const live5 = encodeContecLive5({
        signalStrength: status & 0x0f,
        searchingTooLong: (status & 0x10) !== 0,
        spo2Dropping: (status & 0x20) !== 0,
        pulseBeep: (status & 0x40) !== 0,
        pleth: wave & 0x7f,
        barGraph: wave & 0x0f,
        probeError: (wave & 0x10) !== 0,
        searching: (wave & 0x20) !== 0,
        pulseRate: pr,
        spo2,
      });
      const v46 = encodeContecV46Packet(0x01, [status, wave, 3, pr, spo2, 0xff, 0xff]);
      for (const [driver, bytes] of [
        ['contec-cms50d', live5],
        ['contec-cms50d-v46', v46],
      ] as const) {
        const readings = decodeSerial(driver, bytes);
        if (pr === 0 || pr === 255) {
          assertNoValue(readings, 'heart-rate', driver);
        }
        if (spo2 === 0 || spo2 >= 101) {
          assertNoValue(readings, 'spo2', driver);
        }
      }
    }),
    propertyParams(),
  );
});

test('Nonin Format #2: HR 511 and SpO2 127 (missing) are never numbers', () => {
  const input = fc.record({
    status: fc.array(bits(0x7e), { minLength: 3, maxLength: 3 }),
    hrMissing: fc.boolean(),
    spo2: fc.oneof(fc.constant(127), fc.integer({ min: 0, max: 100 })),
  });
  fc.assert(
    fc.property(input, ({ status, hrMissing, spo2 }) => {
      const hr = hrMissing ? 511 : 72;
      const floats = [(hr >> 7) & 0x03, hr & 0x7f, spo2];
      const frames = floats.map((f, i) => encodeNoninFrame(status[i] | (i === 0 ? 1 : 0), 0, f));
      const readings = decodeSerial(
        'nonin-format2',
        Uint8Array.from(frames.flatMap((f) => [...f])),
      );
      if (hrMissing) {
        assertNoValue(readings, 'heart-rate', 'nonin');
      }
      if (spo2 === 127) {
        assertNoValue(readings, 'spo2', 'nonin');
      }
    }),
    propertyParams(),
  );
});

/** Text a JavaScript `Number()` may read as a number, but that is not a plain decimal. */
const notDecimal = fc.oneof(
  fc.nat().map((n) => `0x${n.toString(16)}`),
  fc
    .tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: -9, max: 9 }))
    .map(([m, e]) => `${m}e${e}`),
  fc.tuple(fc.nat({ max: 300 }), fc.constantFrom(' ', '\t', '\u00a0')).map(([n, s]) => `${s}${n}`),
  fc.nat({ max: 300 }).map((n) => `${n} `),
  fc.constantFrom('NaN', 'nan', 'Infinity', '-Infinity', '+', '-', '.', '0b1', '0o7', '1_0'),
  fc
    .string({ minLength: 1, maxLength: 8 })
    .filter((s) => /[^0-9+.-]/.test(s) && !/[|^~\\&\r\n]/.test(s)),
);

const oru = readFixture<{ segments: string[] }>(
  new URL('./hl7/fixtures/oru-r01.json', import.meta.url),
).segments.join('\r');

test('HL7 OBX-5: text that is not an NM number never becomes a value', () => {
  fc.assert(
    fc.property(notDecimal, (text) => {
      let readings: DriverReading[];
      try {
        readings = decodeHl7(oru.replace('|96|', `|${text}|`));
      } catch (e) {
        assert.instance(e, DriverError);
        assert.is((e as DriverError).code, 'BAD_VALUE', text);
        return;
      }
      // Only the empty "not-available" OBX of the fixture may remain.
      assertNoValue(readings, 'spo2', JSON.stringify(text));
    }),
    propertyParams(),
  );
});

test('MQTT JSON: a string that is not a plain decimal never becomes a value', () => {
  const mapping = [{ path: 'a.spo2', code: 'spo2' as const }];
  fc.assert(
    fc.property(fc.oneof(notDecimal, fc.constantFrom('unavailable', 'unknown')), (text) => {
      const payload = Buffer.from(JSON.stringify({ a: { spo2: text } }));
      let readings: DriverReading[];
      try {
        readings = decodeMqttJson('t', payload, mapping);
      } catch (e) {
        assert.instance(e, DriverError);
        assert.is((e as DriverError).code, 'BAD_VALUE', text);
        return;
      }
      assertNoValue(readings, 'spo2', JSON.stringify(text));
    }),
    propertyParams(),
  );
});

test.run();
