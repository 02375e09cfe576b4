import { STATUS_FLAGS } from './device.js';
import type { Rule } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

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
  { id: 'news2', kind: 'news2', title: 'NEWS2', enabled: true, maxAgeMs: 12 * HOUR },
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
    defaultCadenceMs: {},
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
