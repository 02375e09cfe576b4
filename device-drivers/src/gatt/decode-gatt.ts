import { DriverError } from '../errors.js';
import type { DriverReading } from '../types.js';
import { parseBloodPressure, parseIntermediateCuffPressure } from './blood-pressure.js';
import type { GattContext, GattDecoded, GattParser } from './gatt-result.js';
import { parseGlucoseContext } from './glucose-context.js';
import { parseGlucose } from './glucose.js';
import { parseHeartRate } from './heart-rate.js';
import { parsePlxContinuous } from './plx-continuous.js';
import { parsePlxSpotCheck } from './plx-spot-check.js';
import { parseTemperature } from './temperature.js';
import { parseWeightFeature } from './weight-feature.js';
import { parseWeight } from './weight.js';

/** Every characteristic this package decodes, by 16-bit UUID (lower-case hex). */
export const GATT_PARSERS: Readonly<Record<string, GattParser>> = {
  '2a37': parseHeartRate,
  '2a35': (b) => parseBloodPressure(b),
  '2a36': parseIntermediateCuffPressure,
  '2a1c': parseTemperature,
  '2a5e': parsePlxSpotCheck,
  '2a5f': parsePlxContinuous,
  '2a18': parseGlucose,
  '2a34': parseGlucoseContext,
  '2a9d': parseWeight,
  '2a9e': parseWeightFeature,
};

const BASE_UUID = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/;

/**
 * Normalises `2A37`, `0x2a37` or the full 128-bit form to `2a37`.
 *
 * @throws {DriverError} `UNSUPPORTED` for anything else.
 */
export function normalizeGattUuid(uuid: string): string {
  const text = uuid.trim().toLowerCase().replace(/^0x/, '');
  const short = /^[0-9a-f]{4}$/.test(text) ? text : BASE_UUID.exec(text)?.[1];
  if (short === undefined) {
    throw new DriverError('UNSUPPORTED', `"${uuid}" is not a Bluetooth SIG 16-bit UUID`);
  }

  return short;
}

/**
 * Decodes one characteristic value into all its fields and its readings.
 *
 * @throws {DriverError} `UNSUPPORTED` for an unknown UUID; `TRUNCATED` or `BAD_VALUE`
 * with the byte offset for malformed bytes.
 * @example
 * ```ts
 * parseGatt('2a35', bytes).fields.systolic;
 * ```
 */
export function parseGatt(uuid: string, bytes: Uint8Array, context?: GattContext): GattDecoded {
  const short = normalizeGattUuid(uuid);
  const parser = GATT_PARSERS[short];
  if (!parser) {
    const known = Object.keys(GATT_PARSERS).join(', ');
    throw new DriverError('UNSUPPORTED', `no parser for characteristic 0x${short} (${known})`);
  }

  return parser(bytes, context);
}

/**
 * Decodes one characteristic value into readings: what `sparkden-agent decode --gatt` runs.
 *
 * @example
 * ```ts
 * decodeGatt('2a37', Uint8Array.of(0x00, 72)); // [{ code: 'heart-rate', value: 72, … }]
 * ```
 */
export function decodeGatt(
  uuid: string,
  bytes: Uint8Array,
  context?: GattContext,
): DriverReading[] {
  return parseGatt(uuid, bytes, context).readings;
}
