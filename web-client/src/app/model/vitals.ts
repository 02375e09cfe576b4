/**
 * What the charts and tables need to know about each vital: label, unit, LOINC code, the
 * normal range (the NEWS2 zero-score band where NEWS2 scores it) and the default alert
 * thresholds. Per-patient thresholds from the alerting API replace the defaults.
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
  /** The normal range, shaded on charts. */
  normal?: readonly [number, number];
  thresholds: Threshold[];
  /** The y range a chart starts from, widened to fit the data. */
  axis: readonly [number, number];
  /** How often a device normally reports, for gap detection. */
  cadenceMs: number;
  decimals: number;
}

/** The vitals Spark Den charts, in the order a chart page shows them. */
export const VITALS: readonly VitalInfo[] = [
  {
    code: 'spo2',
    label: 'SpO₂',
    unit: '%',
    loinc: '2708-6',
    normal: [96, 100],
    thresholds: [{ value: 90, label: 'Alert below 90 %', direction: 'below' }],
    axis: [80, 100],
    cadenceMs: 1000,
    decimals: 0,
  },
  {
    code: 'heart-rate',
    label: 'Pulse',
    unit: '/min',
    loinc: '8867-4',
    normal: [51, 90],
    thresholds: [
      { value: 40, label: 'Alert below 40', direction: 'below' },
      { value: 130, label: 'Alert above 130', direction: 'above' },
    ],
    axis: [40, 140],
    cadenceMs: 1000,
    decimals: 0,
  },
  {
    code: 'resp-rate',
    label: 'Respiration rate',
    unit: '/min',
    loinc: '9279-1',
    normal: [12, 20],
    thresholds: [{ value: 25, label: 'Alert above 25', direction: 'above' }],
    axis: [5, 35],
    cadenceMs: 60_000,
    decimals: 0,
  },
  {
    code: 'bp-systolic',
    label: 'Systolic BP',
    unit: 'mmHg',
    loinc: '8480-6',
    normal: [111, 219],
    thresholds: [{ value: 90, label: 'Alert below 90', direction: 'below' }],
    axis: [70, 200],
    cadenceMs: 12 * 3_600_000,
    decimals: 0,
  },
  {
    code: 'body-temp',
    label: 'Temperature',
    unit: '°C',
    loinc: '8310-5',
    normal: [36.1, 38.0],
    thresholds: [{ value: 39.1, label: 'Alert above 39.1 °C', direction: 'above' }],
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
    normal: [70, 180],
    thresholds: [
      { value: 54, label: 'Alert below 54', direction: 'below' },
      { value: 300, label: 'Alert above 300', direction: 'above' },
    ],
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

/** Whether a value is outside the vital's normal range. */
export function isOutOfRange(info: VitalInfo | undefined, value: number): boolean {
  if (!info?.normal) {
    return false;
  }

  return value < info.normal[0] || value > info.normal[1];
}
