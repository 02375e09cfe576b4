/**
 * What the charts and tables need to know about each vital: label, unit, LOINC code and a
 * reference band (the NEWS2 band that scores 0, where NEWS2 scores the vital). Alert
 * thresholds are never invented here: they come from the hub's rules (with the patient's
 * overrides), or no alert line is drawn.
 */

/** A line drawn across a chart where an alert fires. */
export interface Threshold {
  value: number;
  label: string;
  direction: 'below' | 'above';
}

/** Display facts about one vital. */
export interface VitalInfo {
  code: string;
  label: string;
  unit: string;
  loinc: string;
  /** A reference band shaded on staff charts, and what it is (`NEWS2 no-score band`). */
  band?: readonly [number, number];
  bandLabel?: string;
  /** The hub's alert thresholds for this vital; empty until the hub's rules are known. */
  thresholds: Threshold[];
  /** The y range a chart starts from, widened to fit the data. */
  axis: readonly [number, number];
  /** How often a device normally reports, for gap detection. */
  cadenceMs: number;
  decimals: number;
}

const NEWS2_BAND = 'NEWS2 no-score band';

/** The vitals Spark Den charts, in the order a chart page shows them. */
export const VITALS: readonly VitalInfo[] = [
  {
    code: 'spo2',
    label: 'SpO₂',
    unit: '%',
    loinc: '2708-6',
    band: [96, 100],
    bandLabel: NEWS2_BAND,
    thresholds: [],
    axis: [80, 100],
    cadenceMs: 1000,
    decimals: 0,
  },
  {
    code: 'heart-rate',
    label: 'Pulse',
    unit: '/min',
    loinc: '8867-4',
    band: [51, 90],
    bandLabel: NEWS2_BAND,
    thresholds: [],
    axis: [40, 140],
    cadenceMs: 1000,
    decimals: 0,
  },
  {
    code: 'resp-rate',
    label: 'Respiration rate',
    unit: '/min',
    loinc: '9279-1',
    band: [12, 20],
    bandLabel: NEWS2_BAND,
    thresholds: [],
    axis: [5, 35],
    cadenceMs: 60_000,
    decimals: 0,
  },
  {
    code: 'bp-systolic',
    label: 'Systolic BP',
    unit: 'mmHg',
    loinc: '8480-6',
    band: [111, 219],
    bandLabel: NEWS2_BAND,
    thresholds: [],
    axis: [70, 200],
    cadenceMs: 12 * 3_600_000,
    decimals: 0,
  },
  {
    code: 'body-temp',
    label: 'Temperature',
    unit: '°C',
    loinc: '8310-5',
    band: [36.1, 38.0],
    bandLabel: NEWS2_BAND,
    thresholds: [],
    axis: [35, 40],
    cadenceMs: 6 * 3_600_000,
    decimals: 1,
  },
  {
    code: 'body-weight',
    label: 'Weight',
    unit: 'kg',
    loinc: '29463-7',
    thresholds: [],
    axis: [40, 120],
    cadenceMs: 24 * 3_600_000,
    decimals: 1,
  },
  {
    code: 'glucose',
    label: 'Glucose',
    unit: 'mg/dL',
    loinc: '2339-0',
    band: [70, 180],
    bandLabel: 'Glucose target range',
    thresholds: [],
    axis: [40, 300],
    cadenceMs: 12 * 3_600_000,
    decimals: 0,
  },
];

/** Finds a vital by Spark Den code or LOINC code. */
export function findVital(codeOrLoinc: string): VitalInfo | undefined {
  return VITALS.find((v) => v.code === codeOrLoinc || v.loinc === codeOrLoinc);
}

/** Formats a value with the vital's decimals and unit: `92 %`, `37.4 °C`. */
export function formatVital(info: VitalInfo | undefined, value: number): string {
  if (!info) {
    return String(value);
  }

  return `${value.toFixed(info.decimals)} ${info.unit}`;
}
