import { createObservation, type Observation } from '@sparkden/protocol';

import type { RuleOutcome } from '../rules/types.js';

/** A controllable clock for engine tests. */
export class TestClock {
  now: number;

  constructor(start = Date.parse('2026-01-05T08:00:00Z')) {
    this.now = start;
  }

  readonly read = (): number => this.now;

  advance(ms: number): number {
    this.now += ms;

    return this.now;
  }
}

/** One simulated oximeter reading at the clock's time. */
export function spo2(
  patient: string,
  value: number,
  at: number,
  device = `ox-${patient}`,
): Observation {
  return vital(patient, 'spo2', value, at, device);
}

/** Any single-valued vital at `at` (epoch ms). */
export function vital(
  patient: string,
  code: 'spo2' | 'heart-rate' | 'resp-rate' | 'body-temp' | 'body-weight' | 'glucose',
  value: number,
  at: number,
  device = `dev-${patient}`,
): Observation {
  return createObservation({
    patient,
    device: { id: device, transport: 'simulated' },
    code,
    value,
    effectiveAt: new Date(at),
    receivedAt: new Date(at),
  });
}

/** A rule's "SpO2 below 90 % for 10 s" firing for patient `p-1`, at high severity. */
export const SPO2_LOW_FIRE: Extract<RuleOutcome, { action: 'fire' }> = {
  action: 'fire',
  ruleId: 'spo2-low',
  code: 'spo2',
  patientId: 'p-1',
  severity: 'high',
  title: 'SpO2 low',
  explanation: {
    ruleId: 'spo2-low',
    ruleKind: 'threshold',
    summary: 'SpO2 below 90 % for 10 s',
    thresholds: { threshold: 90 },
    evidence: [],
  },
};
