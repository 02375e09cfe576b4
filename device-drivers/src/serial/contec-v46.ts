import type { QualityFlag } from '@sparkden/protocol';

import { DriverError } from '../errors.js';
import type { DeviceAlarm } from '../types.js';
import { CONTEC_V46_KEEP_ALIVE, CONTEC_V46_START } from './contec-v46-commands.js';
import { toOximetryReadings } from './oximetry.js';
import type { FrameOutput, ScanResult, SerialProtocol } from './serial-protocol.js';

/**
 * The packet framing of newer Contec firmware (CMS50D+ 4.6, 115200 baud 8N1).
 * [Contec communication protocol of pulse oximeter V7.0] A packet is a type byte with bit 7
 * clear, a byte whose bit i is bit 7 of data byte i (its own bit 7 set), then the data bytes,
 * each sent with bit 7 set. Real-time data (type 0x01) has 7 data bytes: 9 bytes in all.
 */
const DATA_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0x01, 7], // real-time data
  [0x04, 7], // device identifier
  [0x05, 7], // user information
  [0x0b, 2], // command feedback
  [0x0c, 0], // free feedback
  [0x0d, 1], // disconnect notice
  [0x11, 7], // device notice
]);

/** A decoded real-time packet (type 0x01); other packet types carry `type` only. */
export interface ContecV46Frame {
  type: number;
  signalStrength: number;
  searchingTooLong: boolean;
  spo2Dropping: boolean;
  pulseBeep: boolean;
  fingerOut: boolean;
  searching: boolean;
  pleth: number;
  pulseRate: number;
  spo2: number;
  /** Perfusion index in units of 0.01 %, 0xffff when absent. */
  perfusionIndex: number;
}

/** Finds and decodes a packet at `offset`, resyncing on bytes with bit 7 clear. */
export function scanContecV46(bytes: Uint8Array, offset: number): ScanResult<ContecV46Frame> {
  const type = bytes[offset];
  const dataLength = DATA_LENGTHS.get(type);
  if (type & 0x80) {
    return skip('SYNC', offset, 1, 'data byte where a packet type must start');
  }
  if (dataLength === undefined) {
    return skip('UNSUPPORTED', offset, 1, `unknown packet type 0x${type.toString(16)}`);
  }
  const length = dataLength + 2;
  for (let i = 1; i < length; i++) {
    if (offset + i >= bytes.length) {
      return { type: 'more' };
    }
    if ((bytes[offset + i] & 0x80) === 0) {
      return skip('SYNC', offset, i, `bit 7 clear in byte ${i + 1} of a packet`);
    }
  }

  return { type: 'frame', length, frame: decode(bytes, offset, type) };
}

function skip(code: 'SYNC' | 'UNSUPPORTED', offset: number, length: number, why: string) {
  return { type: 'skip', length, error: new DriverError(code, why, { offset }) } as const;
}

function decode(b: Uint8Array, o: number, type: number): ContecV46Frame {
  const high = b[o + 1];
  const d = (i: number) => (b[o + 2 + i] & 0x7f) | ((high >> i) & 1 ? 0x80 : 0);
  const isLive = type === 0x01;
  const d0 = isLive ? d(0) : 0;
  const d1 = isLive ? d(1) : 0;

  return {
    type,
    signalStrength: d0 & 0x0f,
    searchingTooLong: (d0 & 0x10) !== 0,
    spo2Dropping: (d0 & 0x20) !== 0,
    pulseBeep: (d0 & 0x40) !== 0,
    fingerOut: (d0 & 0x80) !== 0,
    searching: (d1 & 0x80) !== 0,
    pleth: d1 & 0x7f,
    pulseRate: isLive ? d(3) : 0xff,
    spo2: isLive ? d(4) : 0x7f,
    perfusionIndex: isLive ? d(5) | (d(6) << 8) : 0xffff,
  };
}

function interpret(f: ContecV46Frame, wasDropping: boolean): FrameOutput {
  const quality: QualityFlag[] = [];
  if (f.fingerOut) {
    quality.push('finger-out');
  }
  if (f.searching || f.searchingTooLong) {
    quality.push('searching');
  }
  const spo2Valid = !f.fingerOut && f.spo2 > 0 && f.spo2 <= 100;
  const pulseValid = !f.fingerOut && f.pulseRate !== 0xff && f.pulseRate > 0;
  const alarms: DeviceAlarm[] =
    f.spo2Dropping === wasDropping ? [] : [{ code: 'spo2-dropping', active: f.spo2Dropping }];
  const readings = toOximetryReadings({
    spo2: spo2Valid ? f.spo2 : undefined,
    pulseRate: pulseValid ? f.pulseRate : undefined,
    quality,
    preliminary: f.searching || f.searchingTooLong,
  });

  return { readings, alarms };
}

/**
 * The Contec CMS50D+ protocol of newer firmware (115200 8N1); needs {@link CONTEC_V46_START}
 * and a {@link CONTEC_V46_KEEP_ALIVE} every few seconds.
 */
export const contecV46: SerialProtocol<ContecV46Frame> = {
  name: 'contec-cms50d-v46',
  model: 'Contec CMS50D+ (firmware 4.6)',
  settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 },
  startCommand: CONTEC_V46_START,
  keepAlive: { bytes: CONTEC_V46_KEEP_ALIVE, everyMs: 4000 },
  scan: scanContecV46,
  createInterpreter() {
    let dropping = false;

    return (frame) => {
      if (frame.type !== 0x01) {
        return { readings: [], alarms: [] };
      }
      const out = interpret(frame, dropping);
      dropping = frame.spo2Dropping;

      return out;
    };
  },
};
