/**
 * Alert severities, lowest first. `low-medium`, `medium` and `high` are the NEWS2 clinical
 * risk bands [RCP NEWS2 2017, chart 2]; `urgent` is a device's own urgent alarm.
 */
export const SEVERITIES = ['info', 'low', 'low-medium', 'medium', 'high', 'urgent'] as const;

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** The rank of a severity in {@link SEVERITIES} (0 = `info`). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Whether an alert of this severity counts as urgent: `high` (NEWS2 ≥ 7, a sustained
 * desaturation) and `urgent`. A silence never mutes an urgent alert.
 */
export function isUrgent(severity: Severity): boolean {
  return severityRank(severity) >= severityRank('high');
}

/** One numeric reading a rule looks at, in the code's preferred UCUM unit. */
export interface Reading {
  observationId: string;
  patientId: string;
  deviceId: string;
  /** A vital code (`spo2`, `bp-systolic`, …). Panels are split into their components. */
  code: string;
  value: number;
  unit: string;
  /** Effective time, epoch milliseconds. */
  at: number;
  quality: readonly string[];
  interpretation: readonly string[];
}

/** The ACVPU scale: alert, new confusion, voice, pain, unresponsive. */
export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';

/**
 * What the rules know about a patient beyond readings; set by a clinician.
 * NEWS2 needs the SpO2 scale, supplemental oxygen and consciousness.
 */
export interface PatientProfile {
  patientId: string;
  /** [RCP NEWS2: scale 2 only for hypercapnic respiratory failure, on a clinician's say] */
  spo2Scale: 1 | 2;
  onOxygen: boolean;
  consciousness: Consciousness;
  /** Conditions that switch rules on (`heart-failure` for the weight-gain rule). */
  conditions: string[];
}

/** The default profile of a patient no clinician has described yet. */
export function defaultProfile(patientId: string): PatientProfile {
  return { patientId, spo2Scale: 1, onOxygen: false, consciousness: 'A', conditions: [] };
}

/** A value and when it was taken, cited by an explanation. */
export interface Evidence {
  code: string;
  value: number | string;
  unit?: string;
  /** ISO 8601. */
  at: string;
  observationId?: string;
  deviceId?: string;
  /** For NEWS2: the parameter's score. */
  score?: number;
}

/** Why an alert fired: the rule, its thresholds and the values and times behind it. */
export interface Explanation {
  ruleId: string;
  ruleKind: RuleKind;
  /** One sentence a nurse can read, with no patient identifiers. */
  summary: string;
  /** The thresholds in force, after any per-patient override. */
  thresholds: Record<string, unknown>;
  evidence: Evidence[];
  /** Set when a per-patient override changed the rule. */
  override?: { setBy: string; setAt: string; reason?: string; params?: Record<string, unknown> };
}

/** The kinds of rule. */
export type RuleKind =
  'threshold' | 'news2' | 'trend' | 'stale' | 'device-alarm' | 'device-flag' | 'device-status';

/** `value below 90 for 10 s`, clearing at or above `clearAt` for `clearForMs`. */
export interface ThresholdRule {
  id: string;
  kind: 'threshold';
  title: string;
  enabled: boolean;
  code: string;
  direction: 'below' | 'above';
  threshold: number;
  /** Hysteresis: the value must get back past this to clear. */
  clearAt: number;
  forMs: number;
  clearForMs: number;
  /** A pending or clearing window survives reading gaps up to this long. */
  maxGapMs: number;
  severity: Severity;
}

/** NEWS2 from the latest readings, alerting at its standard bands. */
export interface News2Rule {
  id: string;
  kind: 'news2';
  title: string;
  enabled: boolean;
  /** Readings older than this are not used. */
  maxAgeMs: number;
  /**
   * Clearing hysteresis: evaluations in a row below the alert's band before it steps down
   * or clears (default 3; 1 steps down at once).
   */
  clearAfter?: number;
}

/** A rise of `riseBy` or more within `windowMs` (weight gain, rising temperature). */
export interface TrendRule {
  id: string;
  kind: 'trend';
  title: string;
  enabled: boolean;
  code: string;
  windowMs: number;
  /** Fires when latest − lowest in the window exceeds this. */
  riseBy: number;
  /** Clears when the rise falls to this or below. */
  clearRiseBy: number;
  /** Fires only when the latest value is at least this (rising temperature). */
  minLatest?: number;
  /** Applies only to patients with this condition. */
  condition?: string;
  severity: Severity;
}

/** A device silent for `factor` × its expected cadence. */
export interface StaleRule {
  id: string;
  kind: 'stale';
  title: string;
  enabled: boolean;
  factor: number;
  /** Expected cadence per code when the device has none of its own. */
  defaultCadenceMs: Record<string, number>;
  severity: Severity;
}

/** Device alarms, HL7 abnormal flags and device status flags passed through as alerts. */
export interface PassThroughRule {
  id: string;
  kind: 'device-alarm' | 'device-flag' | 'device-status';
  title: string;
  enabled: boolean;
  /** `device-status`: how long a flag must persist before it alerts, per flag. */
  persistMs?: Record<string, number>;
}

/** Any rule. */
export type Rule = ThresholdRule | News2Rule | TrendRule | StaleRule | PassThroughRule;

/** Per-patient changes a clinician may make to a rule. */
export interface RuleOverride {
  ruleId: string;
  patientId: string;
  /** Replaces fields of the rule (`threshold`, `clearAt`, `forMs`, `enabled`, …). */
  params: Record<string, unknown>;
  setBy: string;
  setAt: string;
  reason?: string;
}

/** What a rule asks the engine to do. */
export type RuleOutcome =
  | {
      action: 'fire';
      ruleId: string;
      code: string;
      patientId: string;
      severity: Severity;
      title: string;
      explanation: Explanation;
    }
  | { action: 'clear'; ruleId: string; code: string; patientId: string; explanation: Explanation };
