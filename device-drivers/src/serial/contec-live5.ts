import type { QualityFlag } from '@sparkden/protocol';

import { DriverError } from '../errors.js';
import type { DeviceAlarm } from '../types.js';
import { toOximetryReadings } from './oximetry.js';
import type { FrameOutput, ScanResult, SerialProtocol } from './serial-protocol.js';

/**
 * One 5-byte live frame of a Contec CMS50D+ (older firmware, 19200 baud 8O1, ~60 frames/s).
 * [Contec pulse oximeter communication protocol, 5-byte real-time format]
 * byte 1: bit 7 sync (1), bits 0-3 signal strength, bit 4 searching too long,
 *         bit 5 SpO2 dropping, bit 6 pulse beep
 * byte 2: bit 7 sync (0), bits 0-6 plethysmogram
 * byte 3: bit 7 sync (0), bits 0-3 bar graph, bit 4 probe error, bit 5 searching,
 *         bit 6 bit 7 of the pulse rate
 * byte 4: bit 7 sync (0), bits 0-6 pulse rate;  byte 5: bit 7 sync (0), bits 0-6 SpO2
 * Pulse rate 255 and SpO2 127 mean "no value"; so does 0 (no pulse is not a rate of 0).
 */
export interface ContecLive5Frame {
  signalStrength: number;
  searchingTooLong: boolean;
  spo2Dropping: boolean;
  pulseBeep: boolean;
  pleth: number;
  barGraph: number;
  probeError: boolean;
  searching: boolean;
  pulseRate: number;
  spo2: number;
}

const FRAME_LENGTH = 5;

/** Finds and decodes a 5-byte frame at `offset`, resyncing on the sync bit. */
export function scanContecLive5(bytes: Uint8Array, offset: number): ScanResult<ContecLive5Frame> {
  if ((bytes[offset] & 0x80) === 0) {
    return skip(offset, 1, 'byte without the sync bit where a frame must start');
  }
  for (let i = 1; i < FRAME_LENGTH; i++) {
    if (offset + i >= bytes.length) {
      return { type: 'more' };
    }
    if ((bytes[offset + i] & 0x80) !== 0) {
      return skip(offset, i, `sync bit set in byte ${i + 1} of a frame`);
    }
  }

  return { type: 'frame', length: FRAME_LENGTH, frame: decodeContecLive5(bytes, offset) };
}

function skip(offset: number, length: number, why: string): ScanResult<never> {
  return { type: 'skip', length, error: new DriverError('SYNC', why, { offset }) };
}

function decodeContecLive5(b: Uint8Array, o: number): ContecLive5Frame {
  const b1 = b[o];
  const b3 = b[o + 2];

  return {
    signalStrength: b1 & 0x0f,
    searchingTooLong: (b1 & 0x10) !== 0,
    spo2Dropping: (b1 & 0x20) !== 0,
    pulseBeep: (b1 & 0x40) !== 0,
    pleth: b[o + 1] & 0x7f,
    barGraph: b3 & 0x0f,
    probeError: (b3 & 0x10) !== 0,
    searching: (b3 & 0x20) !== 0,
    pulseRate: ((b3 & 0x40) << 1) | (b[o + 3] & 0x7f),
    spo2: b[o + 4] & 0x7f,
  };
}

/** Encodes a frame as the device sends it (used by the simulator and tests). */
export function encodeContecLive5(f: ContecLive5Frame): Uint8Array {
  const b1 =
    0x80 |
    (f.signalStrength & 0x0f) |
    (f.searchingTooLong ? 0x10 : 0) |
    (f.spo2Dropping ? 0x20 : 0) |
    (f.pulseBeep ? 0x40 : 0);
  const b3 =
    (f.barGraph & 0x0f) |
    (f.probeError ? 0x10 : 0) |
    (f.searching ? 0x20 : 0) |
    ((f.pulseRate & 0x80) >> 1);

  return Uint8Array.of(b1, f.pleth & 0x7f, b3, f.pulseRate & 0x7f, f.spo2 & 0x7f);
}

function interpret(f: ContecLive5Frame, wasDropping: boolean): FrameOutput {
  const quality: QualityFlag[] = [];
  if (f.probeError) {
    quality.push('finger-out');
  }
  if (f.searching || f.searchingTooLong) {
    quality.push('searching');
  }
  // As the v4.6 parser: 0 is "no value" as much as 127/255 are, with or without a signal.
  const spo2Valid = f.spo2 !== 127 && f.spo2 > 0 && f.spo2 <= 100;
  const pulseValid = f.pulseRate !== 255 && f.pulseRate > 0;
  const alarms: DeviceAlarm[] =
    f.spo2Dropping === wasDropping ? [] : [{ code: 'spo2-dropping', active: f.spo2Dropping }];
  const readings = toOximetryReadings({
    spo2: spo2Valid && !f.probeError ? f.spo2 : undefined,
    pulseRate: pulseValid && !f.probeError ? f.pulseRate : undefined,
    quality,
    preliminary: f.searching || f.searchingTooLong,
  });

  return { readings, alarms };
}

/**
 * The Contec CMS50D+ 5-byte live protocol (19200 baud, 8 data bits, odd parity, 1 stop bit).
 *
 * @example
 * ```ts
 * const frame = contecLive5.scan(bytes, 0);
 * ```
 */
export const contecLive5: SerialProtocol<ContecLive5Frame> = {
  name: 'contec-cms50d',
  model: 'Contec CMS50D+',
  settings: { baudRate: 19200, dataBits: 8, parity: 'odd', stopBits: 1 },
  scan: scanContecLive5,
  createInterpreter() {
    let dropping = false;

    return (frame) => {
      const out = interpret(frame, dropping);
      dropping = frame.spo2Dropping;

      return out;
    };
  },
};
