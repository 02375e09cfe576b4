import type { DriverError } from '../errors.js';
import type { DeviceAlarm, DriverReading, SerialDriverName } from '../types.js';

/** Line settings of a serial device. */
export interface SerialLineSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'odd' | 'even';
  stopBits: 1 | 2;
}

/** What {@link SerialProtocol.scan} found at an offset. */
export type ScanResult<F> =
  | { type: 'frame'; length: number; frame: F }
  | { type: 'more' }
  | { type: 'skip'; length: number; error: DriverError };

/** What one frame means once interpreted (with the state of the frames before it). */
export interface FrameOutput {
  readings: DriverReading[];
  alarms: DeviceAlarm[];
}

/**
 * A byte-stream device protocol: framing, frame decoding and interpretation. `scan` is pure;
 * the interpreter keeps whatever state spans frames (Nonin packets, alarm edges).
 */
export interface SerialProtocol<F = unknown> {
  readonly name: SerialDriverName;
  readonly model: string;
  readonly settings: SerialLineSettings;
  /** Bytes to send after opening the port, to start the live stream. */
  readonly startCommand?: Uint8Array;
  /** Bytes to send every `keepAliveMs` or the device stops streaming. */
  readonly keepAlive?: { bytes: Uint8Array; everyMs: number };
  /** Looks for a frame starting at `offset`. Never throws. */
  scan(bytes: Uint8Array, offset: number): ScanResult<F>;
  /**
   * A fresh interpreter for one connection. `afterGap` is true when bytes were skipped
   * before this frame, so state that counts frames must not trust its count.
   */
  createInterpreter(): (frame: F, afterGap: boolean) => FrameOutput;
}

/** An interpreter output with nothing in it. */
export const EMPTY_OUTPUT: FrameOutput = Object.freeze({
  readings: [],
  alarms: [],
});
