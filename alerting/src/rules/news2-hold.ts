import { severityRank, type News2Rule, type RuleOutcome, type Severity } from './types.js';

/** Evaluations in a row below an alert's band before NEWS2 steps it down or clears it. */
export const NEWS2_CLEAR_AFTER = 3;

/** The band a patient's NEWS2 alert stands at, and how many evaluations since fell below it. */
export interface News2Hold {
  severity?: Severity;
  below: number;
}

/** No NEWS2 alert held. */
export const NO_NEWS2_HOLD: News2Hold = { below: 0 };

/**
 * Clearing hysteresis for NEWS2: a worse or equal band fires at once, but a lower band
 * (a step down or a clear) only after `clearAfter` evaluations in a row stayed below the
 * held band, so a score on a band edge (respiration 24/25, a total of 6/7) does not fire
 * and clear, or re-open and restart escalation, at each reading. Pure.
 *
 * @example
 * ```ts
 * const { hold, outcome } = holdNews2(rule, previous, evaluateNews2(…).outcome);
 * ```
 */
export function holdNews2(
  rule: News2Rule,
  hold: News2Hold,
  outcome: RuleOutcome,
): { hold: News2Hold; outcome?: RuleOutcome } {
  const severity = outcome.action === 'fire' ? outcome.severity : undefined;
  const rank = (s?: Severity) => (s === undefined ? -1 : severityRank(s));

  if (hold.severity === undefined || rank(severity) >= rank(hold.severity)) {
    return { hold: { severity, below: 0 }, outcome };
  }

  const below = hold.below + 1;
  if (below < (rule.clearAfter ?? NEWS2_CLEAR_AFTER)) {
    return { hold: { severity: hold.severity, below } };
  }

  return { hold: { severity, below: 0 }, outcome };
}
