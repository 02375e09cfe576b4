/**
 * The state of one condition (a rule for one patient) between evaluations: `ok`, `pending`
 * (breached, waiting out `for`), `firing`, or `clearing` (back past the hysteresis band,
 * waiting out `clearFor`). Times are epoch milliseconds.
 */
export interface ConditionState {
  phase: 'ok' | 'pending' | 'firing' | 'clearing';
  /** When the current phase's window began. */
  since: number;
  /** When evidence last supported the phase (a breaching or a clearing reading). */
  lastSeen: number;
}

/** Timing of a condition. */
export interface ConditionTiming {
  forMs: number;
  clearForMs: number;
  maxGapMs: number;
}

/** What one step of a condition decided. */
export type ConditionEvent = 'fire' | 'clear' | undefined;

/** A condition that has never been breached. */
export const OK_STATE: ConditionState = { phase: 'ok', since: 0, lastSeen: 0 };

/**
 * Advances a condition with one sample: `breach` says the value is past the threshold,
 * `clear` that it is back past the hysteresis value (in the band between, neither holds).
 * Pure: returns the next state and whether the alert fires or clears.
 *
 * @example
 * ```ts
 * stepCondition(OK_STATE, { breach: true, clear: false, at: t }, timing);
 * ```
 */
export function stepCondition(
  state: ConditionState,
  sample: { breach: boolean; clear: boolean; at: number },
  timing: ConditionTiming,
): { state: ConditionState; event: ConditionEvent } {
  const { breach, clear, at } = sample;
  const gapped = at - state.lastSeen > timing.maxGapMs;

  switch (state.phase) {
    case 'ok':
    case 'pending': {
      if (!breach) {
        return { state: OK_STATE, event: undefined };
      }
      const since = state.phase === 'pending' && !gapped ? state.since : at;

      return settle({ phase: 'pending', since, lastSeen: at }, at, timing);
    }
    case 'firing':
    case 'clearing': {
      if (!clear) {
        return { state: { phase: 'firing', since: state.since, lastSeen: at }, event: undefined };
      }
      const since = state.phase === 'clearing' && !gapped ? state.since : at;

      return settle({ phase: 'clearing', since, lastSeen: at }, at, timing);
    }
  }
}

/**
 * Advances a condition with the passage of time alone (no new sample): a pending window
 * whose `for` has elapsed fires, provided evidence is no older than `maxGapMs`.
 */
export function advanceCondition(
  state: ConditionState,
  now: number,
  timing: ConditionTiming,
): { state: ConditionState; event: ConditionEvent } {
  const waiting = state.phase === 'pending' || state.phase === 'clearing';
  if (!waiting || now - state.lastSeen > timing.maxGapMs) {
    return { state, event: undefined };
  }

  return settle(state, now, timing);
}

function settle(
  state: ConditionState,
  now: number,
  timing: ConditionTiming,
): { state: ConditionState; event: ConditionEvent } {
  if (state.phase === 'pending' && now - state.since >= timing.forMs) {
    return { state: { phase: 'firing', since: now, lastSeen: state.lastSeen }, event: 'fire' };
  }
  if (state.phase === 'clearing' && now - state.since >= timing.clearForMs) {
    return { state: OK_STATE, event: 'clear' };
  }

  return { state, event: undefined };
}
