import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { hex } from '../test-support.js';
import { contecLive5 } from './contec-live5.js';
import { contecV46 } from './contec-v46.js';
import { SerialFrameReader } from './frame-reader.js';
import { noninFormat2 } from './nonin-format2.js';

const contecFrame = hex('c6 40 05 48 61');

test('frames cut across chunks are joined', () => {
  const reader = new SerialFrameReader(contecLive5);

  const first = reader.push(contecFrame.subarray(0, 2));
  const second = reader.push(contecFrame.subarray(2));

  assert.is(first.readings.length, 0);
  assert.is(second.readings.length, 2);
  assert.is(second.readings[0].value, 97);
});

test('garbage is skipped as one SYNC error with its stream offset, then frames resume', () => {
  const reader = new SerialFrameReader(contecLive5);
  reader.push(contecFrame);

  const out = reader.push(Uint8Array.from([...hex('01 02 03 40 c6 40'), ...contecFrame]));

  assert.is(out.errors.length, 1);
  assert.is(out.errors[0].code, 'SYNC');
  assert.is(out.errors[0].offset, 5);
  assert.is(out.readings.length, 2);
});

test('a sync bit inside a frame restarts the frame there (contec 5-byte)', () => {
  const reader = new SerialFrameReader(contecLive5);

  const out = reader.push(Uint8Array.from([0xc6, 0x40, ...contecFrame]));

  assert.is(out.errors.length, 1);
  assert.is(out.readings.length, 2);
});

test('contec v4.6: an unknown packet type is skipped, the next packet read', () => {
  const reader = new SerialFrameReader(contecV46);

  const out = reader.push(hex('33 01 e0 c6 c0 84 c8 e1 ff ff'));

  assert.is(out.errors[0].code, 'UNSUPPORTED');
  assert.is(out.readings[0].value, 97);
});

test('contec: the SpO2-dropping bit raises and clears a device alarm', () => {
  const reader = new SerialFrameReader(contecLive5);

  const on = reader.push(hex('e6 40 05 48 58'));
  const still = reader.push(hex('e6 40 05 48 58'));
  const off = reader.push(contecFrame);

  assert.equal(on.alarms, [{ code: 'spo2-dropping', active: true }]);
  assert.equal(still.alarms, []);
  assert.equal(off.alarms, [{ code: 'spo2-dropping', active: false }]);
});

test('nonin: a frame lost to a bad checksum never shifts FLOAT bytes into values', () => {
  const reader = new SerialFrameReader(noninFormat2);
  const packet = hex('01 87 80 00 08 01 86 90 48 5f 01 86 a0 61 88');
  const broken = packet.slice();
  broken[9] = 0x00;

  const out = reader.push(broken);
  const next = reader.push(packet);

  assert.is(out.errors[0].code, 'CHECKSUM');
  assert.is(out.readings.length, 0);
  assert.is(next.readings.find((r) => r.code === 'heart-rate')!.value, 72);
});
test.run();
