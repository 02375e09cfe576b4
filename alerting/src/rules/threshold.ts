import {
  advanceCondition,
  OK_STATE,
  stepCondition,
  type ConditionState,
  type ConditionTiming,
} from './condition.js';
import type { Evidence, Explanation, Reading, RuleOutcome, ThresholdRule } from './types.js';

/** A threshold condition for one patient, with the readings that explain it. */
export interface ThresholdState extends ConditionState {
  /** The first breaching reading of the window, the most extreme, and the latest. */
  evidence: Evidence[];
}

/** A threshold condition nothing has breached yet. */
export const INITIAL_THRESHOLD_STATE: ThresholdState = { ...OK_STATE, evidence: [] };

function toEvidence(r: Reading): Evidence {
  return {
    code: r.code,
    value: r.value,
    unit: r.unit,
    at: new Date(r.at).toISOString(),
    observationId: r.observationId,
    deviceId: r.deviceId,
  };
}

function isWorse(rule: ThresholdRule, a: number, b: number): boolean {
  return rule.direction === 'below' ? a < b : a > b;
}

function collect(rule: ThresholdRule, state: ThresholdState, r: Reading): Evidence[] {
  const e = toEvidence(r);
  const [first, worst] = state.evidence;
  if (first === undefined || state.phase === 'ok') {
    return [e];
  }
  const worstSoFar = worst ?? first;
  const newWorst = isWorse(rule, r.value, Number(worstSoFar.value)) ? e : worstSoFar;

  return [first, newWorst, e];
}

function timing(rule: ThresholdRule): ConditionTiming {
  return { forMs: rule.forMs, clearForMs: rule.clearForMs, maxGapMs: rule.maxGapMs };
}

/** The explanation of a threshold rule's decision. */
export function explainThreshold(rule: ThresholdRule, evidence: Evidence[]): Explanation {
  const op = rule.direction === 'below' ? '<' : '>';
  const seconds = Math.round(rule.forMs / 1000);

  return {
    ruleId: rule.id,
    ruleKind: 'threshold',
    summary: `${rule.code} ${op} ${rule.threshold} for ${seconds} s (clears past ${rule.clearAt})`,
    thresholds: {
      code: rule.code,
      direction: rule.direction,
      threshold: rule.threshold,
      clearAt: rule.clearAt,
      forMs: rule.forMs,
      clearForMs: rule.clearForMs,
    },
    evidence,
  };
}

function outcome(
  rule: ThresholdRule,
  patientId: string,
  event: 'fire' | 'clear',
  evidence: Evidence[],
): RuleOutcome {
  const explanation = explainThreshold(rule, evidence);
  const base = { ruleId: rule.id, code: rule.code, patientId, explanation };

  return event === 'fire'
    ? { ...base, action: 'fire', severity: rule.severity, title: rule.title }
    : { ...base, action: 'clear' };
}

/**
 * Evaluates a threshold rule on one reading of its code. Pure.
 *
 * @example
 * ```ts
 * const { state, outcome } = evaluateThreshold(rule, INITIAL_THRESHOLD_STATE, reading);
 * ```
 */
export function evaluateThreshold(
  rule: ThresholdRule,
  state: ThresholdState,
  reading: Reading,
): { state: ThresholdState; outcome?: RuleOutcome } {
  const below = rule.direction === 'below';
  const breach = below ? reading.value < rule.threshold : reading.value > rule.threshold;
  const clear = below ? reading.value >= rule.clearAt : reading.value <= rule.clearAt;
  const step = stepCondition(state, { breach, clear, at: reading.at }, timing(rule));
  const evidence =
    breach || step.event === 'clear' ? collect(rule, state, reading) : state.evidence;
  const next = { ...step.state, evidence: step.state.phase === 'ok' ? [] : evidence };

  if (step.event === undefined) {
    return { state: next };
  }

  return { state: next, outcome: outcome(rule, reading.patientId, step.event, evidence) };
}

/** Evaluates a threshold rule with the passage of time alone (a `for` window elapsing). */
export function tickThreshold(
  rule: ThresholdRule,
  state: ThresholdState,
  patientId: string,
  now: number,
): { state: ThresholdState; outcome?: RuleOutcome } {
  const step = advanceCondition(state, now, timing(rule));
  const next = { ...step.state, evidence: step.state.phase === 'ok' ? [] : state.evidence };

  if (step.event === undefined) {
    return { state: next };
  }

  return { state: next, outcome: outcome(rule, patientId, step.event, state.evidence) };
}
