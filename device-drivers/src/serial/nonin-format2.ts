import type { QualityFlag } from '@sparkden/protocol';

import { DriverError } from '../errors.js';
import { toOximetryReadings } from './oximetry.js';
import type { FrameOutput, ScanResult, SerialProtocol } from './serial-protocol.js';

/**
 * One 5-byte frame of Nonin serial Data Format #2 (9600 baud 8N1, 75 frames/s, 25 frames a
 * packet). [Nonin OEM III / Xpod specification, Data Format #2]
 * byte 1: 0x01 start;  byte 2: STATUS (bit 7 always 1, bit 6 SNSD sensor disconnected,
 * bit 5 ARTF artifact, bit 4 OOT out of track, bit 3 SNSA sensor alarm, bit 2 YPRF,
 * bit 1 RPRF (both = green perfusion), bit 0 SYNC = first frame of a packet);
 * byte 3: PLETH;  byte 4: FLOAT, whose meaning depends on the frame's place in the packet;
 * byte 5: CHK = (byte 1 + byte 2 + byte 3 + byte 4) mod 256.
 */
export interface NoninFrame {
  status: number;
  pleth: number;
  float: number;
}

const FRAME_LENGTH = 5;
/** [Format #2] FLOAT in frame 1 = HR MSB (bits 7-8), frame 2 = HR LSB (bits 0-6), 3 = SpO2. */
const HR_MISSING = 511;
const SPO2_MISSING = 127;

/** Finds a frame with a good checksum at `offset`. */
export function scanNoninFormat2(bytes: Uint8Array, offset: number): ScanResult<NoninFrame> {
  if (bytes[offset] !== 0x01) {
    return skip('SYNC', offset, 'byte other than 0x01 where a frame must start');
  }
  if (offset + FRAME_LENGTH > bytes.length) {
    return { type: 'more' };
  }
  const status = bytes[offset + 1];
  const sum = (0x01 + status + bytes[offset + 2] + bytes[offset + 3]) & 0xff;
  if ((status & 0x80) === 0) {
    return skip('SYNC', offset, 'STATUS byte without bit 7');
  }
  if (sum !== bytes[offset + 4]) {
    return skip(
      'CHECKSUM',
      offset,
      `checksum 0x${bytes[offset + 4].toString(16)} != 0x${sum.toString(16)}`,
    );
  }

  const frame = { status, pleth: bytes[offset + 2], float: bytes[offset + 3] };

  return { type: 'frame', length: FRAME_LENGTH, frame };
}

function skip(code: 'SYNC' | 'CHECKSUM', offset: number, why: string) {
  return { type: 'skip', length: 1, error: new DriverError(code, why, { offset }) } as const;
}

/** Encodes a frame with its checksum (simulator, tests). */
export function encodeNoninFrame(status: number, pleth: number, float: number): Uint8Array {
  const s = status | 0x80;

  return Uint8Array.of(0x01, s, pleth & 0xff, float & 0xff, (0x01 + s + pleth + float) & 0xff);
}

/** Quality flags from a STATUS byte. */
export function noninQuality(status: number): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const perfusion = status & 0x06;
  if (status & 0x40) {
    flags.push('probe-off');
  }
  if (status & 0x20) {
    flags.push('motion');
  }
  if (status & 0x10) {
    flags.push('searching');
  }
  if (status & 0x08) {
    flags.push('sensor-fault');
  }
  if (perfusion === 0x02) {
    flags.push('low-perfusion');
  }

  return flags;
}

function createInterpreter(): (frame: NoninFrame, afterGap: boolean) => FrameOutput {
  let index = 0;
  let hrMsb = 0;
  let hrLsb = 0;
  let status = 0;

  return (frame, afterGap) => {
    const sync = (frame.status & 0x01) !== 0;
    index = sync ? 1 : afterGap || index === 0 ? 0 : index + 1;
    status = index === 1 ? frame.status : status | frame.status;
    if (index === 1) {
      hrMsb = frame.float;
    } else if (index === 2) {
      hrLsb = frame.float;
    }
    if (index !== 3) {
      return { readings: [], alarms: [] };
    }

    const hr = ((hrMsb & 0x03) << 7) | (hrLsb & 0x7f);
    const spo2 = frame.float & 0x7f;
    const quality = noninQuality(status);
    const lost = (status & 0x40) !== 0;
    const readings = toOximetryReadings({
      spo2: spo2 === SPO2_MISSING || spo2 > 100 || lost ? undefined : spo2,
      pulseRate: hr === HR_MISSING || lost ? undefined : hr,
      quality,
      preliminary: (status & 0x10) !== 0,
    });

    return { readings, alarms: [] };
  };
}

/**
 * Nonin serial Data Format #2 (9600 8N1) with its per-frame checksum.
 *
 * @example
 * ```ts
 * new SerialFrameReader(noninFormat2).push(bytes);
 * ```
 */
export const noninFormat2: SerialProtocol<NoninFrame> = {
  name: 'nonin-format2',
  model: 'Nonin (Data Format #2)',
  settings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  scan: scanNoninFormat2,
  createInterpreter,
};
