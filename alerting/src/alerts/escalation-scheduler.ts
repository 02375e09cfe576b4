import {
  advanceEscalation,
  DEFAULT_POLICIES,
  defaultPolicyId,
  startEscalation,
  type EscalationPolicy,
} from './escalation.js';
import type { Alert, EscalationState } from './types.js';

/** Options of {@link EscalationScheduler}. */
export interface EscalationSchedulerOptions {
  policies?: readonly EscalationPolicy[];
  /** Which policy an alert follows (default by severity: {@link defaultPolicyId}). */
  policyFor?: (alert: Alert) => string;
}

/** One alert whose chain moves on, and where to. */
export interface DueEscalation {
  alert: Alert;
  next: EscalationState;
}

/**
 * Picks each alert's escalation policy and says which chains move on: at a raise, on a
 * nurse's manual escalation, and when time alone makes the next target due. Holds no I/O;
 * the engine records the transitions.
 *
 * @example
 * ```ts
 * const scheduler = new EscalationScheduler({ policies: DEFAULT_POLICIES });
 * for (const { alert, next } of scheduler.due(openAlerts, Date.now(), isSilenced)) {
 *   // record an 'escalated' transition to next.target
 * }
 * ```
 */
export class EscalationScheduler {
  readonly #policies: Map<string, EscalationPolicy>;
  readonly #policyFor: (alert: Alert) => string;

  constructor(options: EscalationSchedulerOptions = {}) {
    this.#policies = new Map((options.policies ?? DEFAULT_POLICIES).map((p) => [p.id, p]));
    this.#policyFor = options.policyFor ?? ((a) => defaultPolicyId(a.severity));
  }

  /**
   * The policy an alert follows.
   *
   * @throws {TypeError} when `policyFor` names a policy that does not exist.
   */
  policyOf(alert: Alert): EscalationPolicy {
    const id = this.#policyFor(alert);
    const policy = this.#policies.get(id);
    if (policy === undefined) {
      throw new TypeError(`no escalation policy "${id}"`);
    }

    return policy;
  }

  /** The chain of a new (or reopened) alert; a silenced one notifies no one yet. */
  start(alert: Alert, now: number, silenced = false): EscalationState {
    const policy = this.policyOf(alert);
    if (silenced) {
      const at = new Date(now).toISOString();

      return { policyId: policy.id, step: -1, round: 0, target: '', nextAt: at };
    }

    return startEscalation(policy, now);
  }

  /** The next target now, due or not (a nurse's manual escalation). */
  manual(alert: Alert, now: number): EscalationState {
    const policy = this.policyOf(alert);
    const state = alert.escalation ?? startEscalation(policy, now);

    return advanceEscalation(policy, state, now, true) ?? state;
  }

  /** The firing, unsilenced alerts whose next step is due at `now`. */
  due(alerts: Iterable<Alert>, now: number, isSilenced: (a: Alert) => boolean): DueEscalation[] {
    const out: DueEscalation[] = [];
    for (const alert of alerts) {
      const e = alert.escalation;
      if (alert.status !== 'firing' || e?.nextAt === undefined || isSilenced(alert)) {
        continue;
      }
      const next = advanceEscalation(this.policyOf(alert), e, now);
      if (next !== undefined) {
        out.push({ alert, next });
      }
    }

    return out;
  }
}
