import { ByteReader } from './byte-reader.js';
import type { GattContext, GattDecoded } from './gatt-result.js';

/** [GSS: Weight Scale Feature] weight resolution codes 1-7 as [kg, lb]. */
const WEIGHT_RESOLUTIONS: ReadonlyArray<[number, number] | undefined> = [
  undefined,
  [0.5, 1],
  [0.2, 0.5],
  [0.1, 0.2],
  [0.05, 0.1],
  [0.02, 0.05],
  [0.01, 0.02],
  [0.005, 0.01],
];
/** [GSS: Weight Scale Feature] height resolution codes 1-3 as [m, in]. */
const HEIGHT_RESOLUTIONS: ReadonlyArray<[number, number] | undefined> = [
  undefined,
  [0.01, 1],
  [0.005, 0.5],
  [0.001, 0.1],
];

/**
 * Weight Scale Feature (0x2A9E), a u32. [Bluetooth GSS: Weight Scale Feature]
 * bit 0 time stamp supported, 1 multiple users, 2 BMI supported, 3-6 weight resolution,
 * 7-9 height resolution. Yields no reading: {@link weightContext} feeds `parseWeight`.
 *
 * @example
 * ```ts
 * weightContext(Uint8Array.of(0x18, 0, 0, 0)); // { weightResolutionKg: 0.1, … }
 * ```
 */
export function parseWeightFeature(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const bits = r.u32('weight scale feature');
  const weight = WEIGHT_RESOLUTIONS[(bits >> 3) & 0x0f];
  const height = HEIGHT_RESOLUTIONS[(bits >> 7) & 0x07];

  return {
    characteristic: 'Weight Scale Feature',
    fields: {
      timeStampSupported: (bits & 0x01) !== 0,
      multipleUsers: (bits & 0x02) !== 0,
      bmiSupported: (bits & 0x04) !== 0,
      weightResolution: weight ? { kg: weight[0], lb: weight[1] } : 'not specified',
      heightResolution: height ? { m: height[0], in: height[1] } : 'not specified',
    },
    readings: [],
  };
}

/** The parse context a Weight Scale Feature value gives {@link parseWeight}. */
export function weightContext(bytes: Uint8Array): GattContext {
  const bits = new ByteReader(bytes).u32('weight scale feature');
  const weight = WEIGHT_RESOLUTIONS[(bits >> 3) & 0x0f];

  return weight ? { weightResolutionKg: weight[0], weightResolutionLb: weight[1] } : {};
}
