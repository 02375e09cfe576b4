import { createObservation } from '@sparkden/protocol';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DRIVER_ERROR_CODES, DriverError } from './errors.js';
import { GATT_PARSERS, decodeGatt } from './gatt/decode-gatt.js';
import { decodeHl7, handleHl7Message } from './hl7/decode-hl7.js';
import { MllpFramer } from './hl7/mllp-framer.js';
import { decodeMqttJson } from './mqtt/mqtt-json.js';
import { parseRacpIndication } from './ble/racp.js';
import { decodeSerial } from './serial/decode-serial.js';
import { SerialFrameReader } from './serial/frame-reader.js';
import { SERIAL_PROTOCOLS } from './serial/protocols.js';
import { hex, propertyParams, readFixture } from './test-support.js';
import { SERIAL_DRIVERS, type DriverReading } from './types.js';

// Random and mutated input to every parser: it either yields readings that satisfy the
// edge↔hub contract, or throws a DriverError with a documented code. Nothing else.

const device = { id: 'd', transport: 'simulated' as const };

function checkOutcome(run: () => DriverReading[]): void {
  let readings: DriverReading[];
  try {
    readings = run();
  } catch (e) {
    if (!(e instanceof DriverError)) {
      throw e;
    }
    assert.ok((DRIVER_ERROR_CODES as readonly string[]).includes(e.code), e.code);
    return;
  }
  for (const r of readings) {
    createObservation({ ...r, patient: 'p', device });
  }
}

/** A valid frame with a few bytes replaced, cut short or extended. */
function mutated(frames: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      frame: fc.constantFrom(...frames),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 4 }),
    })
    .map(({ frame, edits, cut, tail }) => {
      const out = Uint8Array.from([...frame, ...tail]);
      edits.forEach(([at, byte]) => (out[at % out.length] = byte));
      return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
    });
}

const gattFixture = readFixture<{ vectors: Array<{ uuid: string; hex: string }> }>(
  new URL('./gatt/fixtures/gatt-vectors.json', import.meta.url),
);

for (const uuid of Object.keys(GATT_PARSERS)) {
  const frames = gattFixture.vectors
    .filter((v) => v.uuid.toLowerCase().endsWith(uuid))
    .map((v) => hex(v.hex));
  test(`GATT 0x${uuid}: random and mutated values`, () => {
    const input =
      frames.length > 0
        ? fc.oneof(fc.uint8Array({ maxLength: 40 }), mutated(frames))
        : fc.uint8Array({ maxLength: 40 });
    fc.assert(
      fc.property(input, (bytes) => checkOutcome(() => decodeGatt(uuid, bytes))),
      propertyParams(),
    );
  });
}

const serialFixtures: Record<string, string> = {
  'contec-cms50d': 'contec-live5.json',
  'contec-cms50d-v46': 'contec-v46.json',
  'nonin-format2': 'nonin-format2.json',
};

for (const driver of SERIAL_DRIVERS) {
  const fixture = readFixture<{ vectors: Array<{ hex: string }> }>(
    new URL(`./serial/fixtures/${serialFixtures[driver]}`, import.meta.url),
  );
  const frames = fixture.vectors.map((v) => hex(v.hex));
  test(`serial ${driver}: random and mutated bytes, strict and streaming`, () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(frames));
    fc.assert(
      fc.property(input, fc.array(fc.nat({ max: 16 }), { maxLength: 6 }), (bytes, cuts) => {
        checkOutcome(() => decodeSerial(driver, bytes));
        const reader = new SerialFrameReader(SERIAL_PROTOCOLS[driver]);
        let at = 0;
        for (const n of [...cuts, bytes.length]) {
          const out = reader.push(bytes.subarray(at, at + n));
          at += n;
          out.errors.forEach((e) =>
            assert.ok((DRIVER_ERROR_CODES as readonly string[]).includes(e.code)),
          );
          checkOutcome(() => out.readings);
        }
      }),
      propertyParams(),
    );
  });
}

const oru = readFixture<{ segments: string[] }>(
  new URL('./hl7/fixtures/oru-r01.json', import.meta.url),
).segments.join('\r');

test('HL7: random text and mutated ORU^R01; every message gets an ACK with an MSA', () => {
  const mutatedOru = fc
    .array(fc.tuple(fc.nat(), fc.constantFrom('|', '^', '\r', 'x', '9', '', '~', '.', '-')), {
      maxLength: 6,
    })
    .map((edits) =>
      edits.reduce(
        (t, [at, ch]) => t.slice(0, at % t.length) + ch + t.slice((at % t.length) + 1),
        oru,
      ),
    );
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutatedOru), (text) => {
      checkOutcome(() => decodeHl7(text));
      const outcome = handleHl7Message(text);
      assert.match(outcome.ack, /\rMSA\|A[AER]\|/);
    }),
    propertyParams(),
  );
});

test('MLLP framer: random bytes never throw; errors carry codes', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 5 }), (chunks) => {
      const framer = new MllpFramer();
      chunks.forEach((c) => framer.push(c).errors.forEach((e) => assert.instance(e, DriverError)));
    }),
    propertyParams(),
  );
});

test('MQTT JSON: random JSON and bytes', () => {
  const mapping = [
    { path: 'a.spo2', code: 'spo2' as const },
    { path: 'w', code: 'body-weight' as const, unit: 'kg', scale: 0.001 },
    { path: '', code: 'body-temp' as const },
  ];
  const payload = fc.oneof(
    fc.json().map((j) => Buffer.from(j)),
    fc.uint8Array({ maxLength: 30 }),
  );
  fc.assert(
    fc.property(payload, (bytes) => checkOutcome(() => decodeMqttJson('t', bytes, mapping))),
    propertyParams(),
  );
});

test('RACP indications: random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
      checkOutcome(() => (parseRacpIndication(bytes), []));
    }),
    propertyParams(),
  );
});

test.run();
