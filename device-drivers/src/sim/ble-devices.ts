import * as frames from './gatt-frames.js';
import type { SimulatedVitals } from './scenarios.js';

/** The simulated BLE health devices. */
export const BLE_SIMULATORS = [
  'ble-heart-rate',
  'ble-blood-pressure',
  'ble-thermometer',
  'ble-pulse-oximeter',
  'ble-spot-check-oximeter',
  'ble-glucose-meter',
  'ble-weight-scale',
] as const;

export type BleSimulatorName = (typeof BLE_SIMULATORS)[number];

/** The characteristics each simulated device exposes. */
export const CHARACTERISTICS: Record<BleSimulatorName, string[]> = {
  'ble-heart-rate': ['2a37'],
  'ble-blood-pressure': ['2a35', '2a36'],
  'ble-thermometer': ['2a1c'],
  'ble-pulse-oximeter': ['2a5f'],
  'ble-spot-check-oximeter': ['2a5e'],
  'ble-glucose-meter': ['2a18', '2a34', '2a52'],
  'ble-weight-scale': ['2a9d', '2a9e'],
};

/** Characteristic values at tick `n`: what the device would notify or indicate. */
export function valuesAt(
  device: BleSimulatorName,
  v: SimulatedVitals,
  n: number,
  at: Date,
  seq: number,
): Array<[string, Uint8Array]> {
  switch (device) {
    case 'ble-heart-rate':
      return [['2a37', frames.heartRateFrame(v)]];
    case 'ble-blood-pressure':
      return n % 4 === 3
        ? [['2a35', frames.bloodPressureFrame(v, at)]]
        : [['2a36', frames.cuffPressureFrame(60 * ((n % 4) + 1))]];
    case 'ble-thermometer':
      return [['2a1c', frames.temperatureFrame(v, at)]];
    case 'ble-pulse-oximeter':
      return [['2a5f', frames.plxContinuousFrame(v)]];
    case 'ble-spot-check-oximeter':
      return [['2a5e', frames.plxSpotCheckFrame(v, at)]];
    case 'ble-glucose-meter':
      return glucoseRecord(v, seq, at);
    case 'ble-weight-scale':
      return [['2a9d', frames.weightFrame(v, at)]];
  }
}

/**
 * One glucose record as the meter sends it: the measurement, then, when its flags say one
 * follows, its context with the same sequence number. [Bluetooth GLS: Glucose Measurement
 * Context]
 */
export function glucoseRecord(
  v: SimulatedVitals,
  seq: number,
  at: Date,
): Array<[string, Uint8Array]> {
  const withContext = frames.hasGlucoseContext(seq);
  const measurement: [string, Uint8Array] = ['2a18', frames.glucoseFrame(v, seq, at, withContext)];

  return withContext ? [measurement, ['2a34', frames.glucoseContextFrame(seq)]] : [measurement];
}
