import { encodeNoninFrame } from '../serial/nonin-format2.js';
import type { SimulatedVitals } from './scenarios.js';

/**
 * Frame `n` of a Nonin Data Format #2 stream (75 frames/s, 25 a packet). FLOAT carries HR MSB,
 * HR LSB and SpO2 in frames 1-3; the simulator leaves the others 0.
 */
export function noninFrameFor(v: SimulatedVitals, n: number): Uint8Array {
  const place = (n % 25) + 1;
  const lost = v.fingerOut;
  const hr = lost ? 511 : v.pulseRate;
  const spo2 = lost ? 127 : v.spo2;
  const status = (lost ? 0x40 : 0x06) | (v.searching ? 0x10 : 0) | (place === 1 ? 0x01 : 0);
  const floats: Record<number, number> = { 1: (hr >> 7) & 0x03, 2: hr & 0x7f, 3: spo2 };
  const pleth = lost
    ? 0
    : Math.round(128 + 100 * Math.sin((n / 75) * (v.pulseRate / 60) * 2 * Math.PI));

  return encodeNoninFrame(status, pleth, floats[place] ?? 0);
}
