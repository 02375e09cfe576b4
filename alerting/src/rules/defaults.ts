import { STATUS_FLAGS } from './device.js';
import type { Rule } from './types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How often a device is expected to report each code when no cadence is set for it: the
 * no-data rule (`factor` 3) alerts after three of these pass in silence. Continuous
 * monitors (the demo's CMS50D+ oximeter sends SpO2 and pulse at 1 Hz) get 10 s; spot
 * checks a patient takes at home (cuff, scale, thermometer, glucometer) once a day.
 */
export const DEFAULT_CADENCE_MS: Readonly<Record<string, number>> = {
  spo2: 10 * SECOND,
  'heart-rate': 10 * SECOND,
  'resp-rate': MINUTE,
  'bp-systolic': DAY,
  'bp-diastolic': DAY,
  'bp-mean': DAY,
  'body-temp': DAY,
  'body-weight': DAY,
  glucose: DAY,
};

/**
 * The rules a fresh hub starts with. `spo2-low` is the foundation's rule: SpO2 below 90 %
 * for 10 s raises an alert; it clears once SpO2 is back at 92 % or more for 10 s.
 *
 * @example
 * ```ts
 * await ruleStore.seed(DEFAULT_RULES);
 * ```
 */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: 'spo2-low',
    kind: 'threshold',
    title: 'Low SpO2',
    enabled: true,
    code: 'spo2',
    direction: 'below',
    threshold: 90,
    clearAt: 92,
    forMs: 10_000,
    clearForMs: 10_000,
    maxGapMs: 15_000,
    severity: 'high',
  },
  {
    id: 'heart-rate-high',
    kind: 'threshold',
    title: 'High heart rate',
    enabled: true,
    code: 'heart-rate',
    direction: 'above',
    threshold: 130,
    clearAt: 120,
    forMs: 30_000,
    clearForMs: 30_000,
    maxGapMs: 30_000,
    severity: 'medium',
  },
  {
    id: 'heart-rate-low',
    kind: 'threshold',
    title: 'Low heart rate',
    enabled: true,
    code: 'heart-rate',
    direction: 'below',
    threshold: 40,
    clearAt: 45,
    forMs: 30_000,
    clearForMs: 30_000,
    maxGapMs: 30_000,
    severity: 'high',
  },
  {
    id: 'systolic-high',
    kind: 'threshold',
    title: 'High systolic blood pressure',
    enabled: true,
    code: 'bp-systolic',
    direction: 'above',
    threshold: 180,
    clearAt: 170,
    forMs: 0,
    clearForMs: 0,
    maxGapMs: DAY,
    severity: 'medium',
  },
  {
    id: 'news2',
    kind: 'news2',
    title: 'NEWS2',
    enabled: true,
    maxAgeMs: 12 * HOUR,
    clearAfter: 3,
  },
  {
    id: 'weight-gain-hf',
    kind: 'trend',
    title: 'Weight gain (heart failure)',
    enabled: true,
    code: 'body-weight',
    windowMs: 3 * DAY,
    riseBy: 2,
    clearRiseBy: 1.5,
    condition: 'heart-failure',
    severity: 'medium',
  },
  {
    id: 'temperature-rising',
    kind: 'trend',
    title: 'Rising temperature',
    enabled: true,
    code: 'body-temp',
    windowMs: DAY,
    riseBy: 1,
    clearRiseBy: 0.5,
    minLatest: 37.8,
    severity: 'low-medium',
  },
  {
    id: 'stale-data',
    kind: 'stale',
    title: 'No data from device',
    enabled: true,
    factor: 3,
    defaultCadenceMs: DEFAULT_CADENCE_MS,
    severity: 'low',
  },
  { id: 'device-alarm', kind: 'device-alarm', title: 'Device alarm', enabled: true },
  { id: 'device-flag', kind: 'device-flag', title: 'Abnormal flag', enabled: true },
  {
    id: 'device-status',
    kind: 'device-status',
    title: 'Device problem',
    enabled: true,
    persistMs: { ...STATUS_FLAGS },
  },
];
