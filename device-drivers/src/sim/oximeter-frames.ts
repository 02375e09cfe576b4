import { encodeContecLive5 } from '../serial/contec-live5.js';
import { encodeContecV46Packet } from '../serial/contec-v46-commands.js';
import type { SimulatedVitals } from './scenarios.js';

/** Plethysmogram sample and beat marker at frame `n` of a stream running at `hz`. */
function plethAt(v: SimulatedVitals, n: number, hz: number): { pleth: number; beat: boolean } {
  const beatsPerFrame = v.pulseRate / 60 / hz;
  const phase = (n * beatsPerFrame) % 1;
  const beat = phase < beatsPerFrame;

  return { pleth: Math.round(20 + 80 * Math.exp(-((phase - 0.2) ** 2) / 0.02)), beat };
}

/** The 5-byte live frame a CMS50D+ sends at frame `n` (60 frames/s) for these vitals. */
export function contecLive5FrameFor(v: SimulatedVitals, n: number): Uint8Array {
  const noValue = v.fingerOut || v.searching;
  const { pleth, beat } = plethAt(v, n, 60);

  return encodeContecLive5({
    signalStrength: noValue ? 0 : 6,
    searchingTooLong: false,
    spo2Dropping: !noValue && v.spo2 < 90,
    pulseBeep: !noValue && beat,
    pleth: noValue ? 0 : pleth,
    barGraph: noValue ? 0 : Math.round(pleth / 16),
    probeError: v.fingerOut,
    searching: v.searching,
    pulseRate: noValue ? 255 : v.pulseRate,
    spo2: noValue ? 127 : v.spo2,
  });
}

/** The 9-byte real-time packet newer CMS50D+ firmware sends at frame `n` (60 packets/s). */
export function contecV46FrameFor(v: SimulatedVitals, n: number): Uint8Array {
  const noValue = v.fingerOut || v.searching;
  const { pleth, beat } = plethAt(v, n, 60);
  const status =
    (noValue ? 0 : 6) |
    (!noValue && v.spo2 < 90 ? 0x20 : 0) |
    (!noValue && beat ? 0x40 : 0) |
    (v.fingerOut ? 0x80 : 0);
  const wave = (noValue ? 0 : pleth) | (v.searching ? 0x80 : 0);

  return encodeContecV46Packet(0x01, [
    status,
    wave,
    noValue ? 0 : Math.round(pleth / 16),
    noValue ? 0xff : v.pulseRate,
    noValue ? 0x7f : v.spo2,
    0xff,
    0xff,
  ]);
}
