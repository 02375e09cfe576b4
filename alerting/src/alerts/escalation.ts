import { severityRank, type Severity } from '../rules/types.js';
import type { EscalationState } from './types.js';

/** One link of an escalation chain: who is notified, `delayMs` after the previous link. */
export interface EscalationStep {
  target: string;
  delayMs: number;
}

/** A chain of targets run until someone acknowledges the alert. */
export interface EscalationPolicy {
  id: string;
  steps: EscalationStep[];
  /** Start the chain over after the last step (until acknowledged). */
  repeat: boolean;
  /** The wait after the last step before the chain starts over. */
  repeatAfterMs: number;
}

const MINUTE = 60_000;

/**
 * The default chains: urgent alerts climb nurse → charge nurse → physician within two
 * minutes and repeat; medium ones more slowly; the lowest bands reach only the nurse.
 */
export const DEFAULT_POLICIES: readonly EscalationPolicy[] = [
  {
    id: 'urgent',
    steps: [
      { target: 'nurse', delayMs: 0 },
      { target: 'charge-nurse', delayMs: MINUTE },
      { target: 'physician', delayMs: MINUTE },
    ],
    repeat: true,
    repeatAfterMs: 2 * MINUTE,
  },
  {
    id: 'standard',
    steps: [
      { target: 'nurse', delayMs: 0 },
      { target: 'charge-nurse', delayMs: 5 * MINUTE },
      { target: 'physician', delayMs: 10 * MINUTE },
    ],
    repeat: true,
    repeatAfterMs: 15 * MINUTE,
  },
  {
    id: 'low',
    steps: [
      { target: 'nurse', delayMs: 0 },
      { target: 'charge-nurse', delayMs: 15 * MINUTE },
    ],
    repeat: false,
    repeatAfterMs: 0,
  },
  { id: 'console-only', steps: [{ target: 'nurse', delayMs: 0 }], repeat: false, repeatAfterMs: 0 },
];

/** Which policy an alert of each severity follows, by default. */
export function defaultPolicyId(severity: Severity): string {
  const rank = severityRank(severity);
  if (rank >= severityRank('high')) {
    return 'urgent';
  }
  if (rank >= severityRank('medium')) {
    return 'standard';
  }

  return rank >= severityRank('low-medium') ? 'low' : 'console-only';
}

function nextDue(policy: EscalationPolicy, step: number, now: number): string | undefined {
  const following = policy.steps[step + 1];
  if (following !== undefined) {
    return new Date(now + following.delayMs).toISOString();
  }

  return policy.repeat ? new Date(now + policy.repeatAfterMs).toISOString() : undefined;
}

/**
 * Starts an alert on a chain: the first target is notified now. Pure.
 *
 * @example
 * ```ts
 * startEscalation(policy, clock()).target; // 'nurse'
 * ```
 */
export function startEscalation(policy: EscalationPolicy, now: number): EscalationState {
  const first = policy.steps[0];
  if (first === undefined) {
    throw new TypeError(`"steps" of policy ${policy.id} must not be empty`);
  }

  return {
    policyId: policy.id,
    step: 0,
    round: 0,
    target: first.target,
    nextAt: nextDue(policy, 0, now),
  };
}

/**
 * Moves an alert one link up its chain (wrapping to the first link when the policy
 * repeats). With `force`, moves now even if the next step is not yet due (a nurse's manual
 * escalation). Returns `undefined` when nothing is due. Pure.
 */
export function advanceEscalation(
  policy: EscalationPolicy,
  state: EscalationState,
  now: number,
  force = false,
): EscalationState | undefined {
  const due = state.nextAt !== undefined && Date.parse(state.nextAt) <= now;
  const last = state.step + 1 >= policy.steps.length;
  if (!force && !due) {
    return undefined;
  }
  if (last && !policy.repeat && !force) {
    return undefined;
  }

  const wrap = last;
  const step = wrap ? (force && !policy.repeat ? state.step : 0) : state.step + 1;
  const round = wrap && policy.repeat ? state.round + 1 : state.round;
  const target = policy.steps[step]?.target ?? state.target;

  return { policyId: policy.id, step, round, target, nextAt: nextDue(policy, step, now) };
}
