import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DriverError } from '../errors.js';
import { readFixture } from '../test-support.js';
import { decodeHl7, handleHl7Message } from './decode-hl7.js';
import { parseHl7 } from './hl7-message.js';

interface Fixture {
  segments: string[];
  readings: Array<{ time: string } & Record<string, unknown>>;
}

const fixture = readFixture<Fixture>(new URL('./fixtures/oru-r01.json', import.meta.url));
const text = fixture.segments.join('\r');
const device = { id: 'mon-1', transport: 'hl7' as const };

test('ORU^R01: MDC codes map to LOINC vitals, BP becomes a panel, demo and text are skipped', () => {
  const readings = decodeHl7(text);
  const plain = readings.map(({ deviceTime, subject, ...rest }) => {
    assert.is(subject, 'BED-7');
    return { ...rest, time: deviceTime?.toISOString().replace('.000', '') };
  });

  assert.equal(plain, fixture.readings);
  readings.forEach((r) => createObservation({ ...r, patient: 'p-1', device }));
});

test('captured files with LF line ends and MLLP framing decode the same', () => {
  const framed = `\x0b${fixture.segments.join('\n')}\x1c\r`;

  assert.is(decodeHl7(framed).length, fixture.readings.length);
});

test('a non-numeric NM value is BAD_VALUE at the OBX offset', () => {
  const bad = text.replace('|96|', '|9x6|');
  try {
    decodeHl7(bad);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DriverError);
    assert.is((e as DriverError).code, 'BAD_VALUE');
    assert.is((e as DriverError).offset, bad.indexOf('OBX|1|'));
  }
});

test('OBX-5 is parsed as HL7 NM: hex, exponent and padding are AE with a reason', () => {
  for (const value of ['0x61', '1e2', ' 96', 'Infinity']) {
    const outcome = handleHl7Message(text.replace('|96|', `|${value}|`));

    assert.is(outcome.code, 'AE', value);
    assert.is(outcome.error?.code, 'BAD_VALUE', value);
    assert.match(outcome.ack, /OBX-5 ".*" is not a number/, value);
    assert.is(outcome.readings.length, 0, value);
  }
  assert.is(decodeHl7(text.replace('|96|', '|+96.0|'))[0].value, 96);
});

test('ACK AA carries MSH-10 and swaps sender and receiver', () => {
  const outcome = handleHl7Message(text);
  const ack = parseHl7(outcome.ack);
  const [msh, msa] = ack.segments;

  assert.is(outcome.code, 'AA');
  assert.equal(msa.fields.slice(0, 3), ['MSA', 'AA', 'MSG00042']);
  assert.is(msh.fields[3], 'SPARKDEN');
  assert.is(msh.fields[5], 'MONITOR^0012345678ABCDEF^EUI-64');
  assert.is(msh.fields[9], 'ACK^R01^ACK');
});

test('AE for a bad value, with an ERR segment naming the reason', () => {
  const outcome = handleHl7Message(text.replace('|96|', '|abc|'));
  const ack = parseHl7(outcome.ack);
  const err = ack.segments.find((s) => s.id === 'ERR')!;

  assert.is(outcome.code, 'AE');
  assert.is(ack.segments[1].fields[2], 'MSG00042');
  assert.match(err.fields[3], /^102\^/);
  assert.match(err.fields[8], /not a number/);
});

test('AR for another message type, an old version, or an unparseable body', () => {
  const adt = handleHl7Message(text.replace('ORU^R01^ORU_R01', 'ADT^A01^ADT_A01'));
  const old = handleHl7Message(text.replace('|P|2.6|', '|P|2.1|'));
  const broken = handleHl7Message(`${fixture.segments[0]}\rthis is not a segment`);

  assert.equal([adt.code, old.code, broken.code], ['AR', 'AR', 'AR']);
  assert.equal(
    [adt.controlId, old.controlId, broken.controlId],
    ['MSG00042', 'MSG00042', 'MSG00042'],
  );
  assert.match(parseHl7(adt.ack).segments[2].fields[3], /^200\^/);
});

test('a value in a unit the vital does not accept is refused (AE), never passed on', () => {
  const outcome = handleHl7Message(text.replace('37.9|268192^MDC_DIM_DEGC^MDC', '37.9|kg'));

  assert.is(outcome.code, 'AE');
  assert.equal(outcome.readings, []);
  assert.match(outcome.error!.reason, /OBX-6 unit "kg" not accepted for body-temp/);
});

test('MSH-11 processing id D (debug) or T (training) is demo: no readings', () => {
  assert.equal(decodeHl7(text.replace('|P|2.6|', '|T|2.6|')), []);
});

test('not HL7 at all is MALFORMED at offset 0', () => {
  try {
    decodeHl7('hello');
    assert.unreachable();
  } catch (e) {
    assert.is((e as DriverError).code, 'MALFORMED');
    assert.is((e as DriverError).offset, 0);
  }
});

test.run();
