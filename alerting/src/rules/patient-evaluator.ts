import { OK_STATE, advanceCondition, stepCondition, type ConditionState } from './condition.js';
import { STATUS_FLAGS, flagOutcome, statusCode } from './device.js';
import { evaluateNews2, NEWS2_CODES, scoreNews2, type News2Readings } from './news2.js';
import { holdNews2, NO_NEWS2_HOLD, type News2Hold } from './news2-hold.js';
import { isClinicallyUsable } from './readings.js';
import {
  evaluateThreshold,
  INITIAL_THRESHOLD_STATE,
  tickThreshold,
  type ThresholdState,
} from './threshold.js';
import { evaluateTrend } from './trend.js';
import type {
  Explanation,
  News2Rule,
  PassThroughRule,
  PatientProfile,
  Reading,
  Rule,
  RuleOutcome,
  Severity,
} from './types.js';

/** A copy of a {@link PatientEvaluator}'s state, to roll a failed batch back. */
export interface EvaluatorSnapshot {
  thresholds: Map<string, ThresholdState>;
  latest: News2Readings;
  samples: Map<string, Reading[]>;
  status: Map<string, ConditionState & { reading: Reading; flag: string }>;
  news2: News2Hold;
}

/** Tells the evaluator whether an alert is open for a rule and code. */
export type IsOpen = (ruleId: string, code: string) => boolean;

const NEWS2_SET: readonly string[] = NEWS2_CODES;

/**
 * The in-memory rule state of one patient: threshold windows, the latest NEWS2 inputs,
 * trend samples and device-status windows. Holds no I/O; the engine feeds it readings and
 * the clock, and turns its outcomes into alerts.
 *
 * @example
 * ```ts
 * const ev = new PatientEvaluator(profile);
 * const outcomes = ev.observe(reading, rules, isOpen);
 * ```
 */
export class PatientEvaluator {
  profile: PatientProfile;
  readonly #thresholds = new Map<string, ThresholdState>();
  readonly #latest: News2Readings = {};
  readonly #samples = new Map<string, Reading[]>();
  readonly #status = new Map<string, ConditionState & { reading: Reading; flag: string }>();
  #news2Hold: News2Hold = NO_NEWS2_HOLD;

  constructor(profile: PatientProfile) {
    this.profile = profile;
  }

  /** The latest NEWS2 inputs (for persistence). */
  get latest(): Readonly<News2Readings> {
    return this.#latest;
  }

  /** Restores a latest NEWS2 input or a trend sample after a restart. */
  restore(reading: Reading, kind: 'latest' | 'sample'): void {
    if (kind === 'latest') {
      this.#setLatest(reading);
    } else {
      this.#addSample(reading, Infinity);
    }
  }

  /** Copies the rule state (states are replaced, never mutated, so a shallow copy holds). */
  snapshot(): EvaluatorSnapshot {
    return {
      thresholds: new Map(this.#thresholds),
      latest: { ...this.#latest },
      samples: new Map([...this.#samples].map(([code, list]) => [code, [...list]])),
      status: new Map(this.#status),
      news2: this.#news2Hold,
    };
  }

  /** Puts back the state of a {@link snapshot}: the batch after it is as if never seen. */
  rollback(s: EvaluatorSnapshot): void {
    const refill = <K, V>(target: Map<K, V>, from: Map<K, V>) => {
      target.clear();
      for (const [k, v] of from) {
        target.set(k, v);
      }
    };
    refill(this.#thresholds, s.thresholds);
    refill(this.#samples, s.samples);
    refill(this.#status, s.status);
    for (const key of Object.keys(this.#latest)) {
      delete this.#latest[key as keyof News2Readings];
    }
    Object.assign(this.#latest, s.latest);
    this.#news2Hold = s.news2;
  }

  /** Marks a threshold condition as firing (an alert open before a restart). */
  markFiring(ruleId: string, now: number): void {
    this.#thresholds.set(ruleId, { phase: 'firing', since: now, lastSeen: now, evidence: [] });
  }

  /** Holds NEWS2 at the band of its open alert (an alert open before a restart). */
  markNews2(severity: Severity): void {
    this.#news2Hold = { severity, below: 0 };
  }

  /** Forgets a condition so it can fire again (after a person resolved its alert). */
  reset(ruleId: string, code: string): void {
    this.#thresholds.delete(ruleId);
    this.#status.delete(code);
    if (code === 'news2') {
      this.#news2Hold = NO_NEWS2_HOLD;
    }
  }

  /** Evaluates every rule a new reading touches. */
  observe(reading: Reading, rules: readonly Rule[], isOpen: IsOpen): RuleOutcome[] {
    const out: RuleOutcome[] = [];
    const usable = isClinicallyUsable(reading);
    for (const rule of rules) {
      if (!rule.enabled) {
        continue;
      }
      switch (rule.kind) {
        case 'threshold':
          if (usable && rule.code === reading.code) {
            const prev = this.#thresholds.get(rule.id) ?? INITIAL_THRESHOLD_STATE;
            const r = evaluateThreshold(rule, prev, reading);
            this.#thresholds.set(rule.id, r.state);
            push(out, r.outcome);
          }
          break;
        case 'news2':
          if (usable && NEWS2_SET.includes(reading.code) && this.#setLatest(reading)) {
            push(out, this.#news2(rule, reading.at, isOpen));
          }
          break;
        case 'trend':
          if (usable && rule.code === reading.code) {
            this.#addSample(reading, rule.windowMs);
            const samples = this.#samples.get(rule.code) ?? [];
            push(out, evaluateTrend(rule, samples, this.profile, isOpen(rule.id, rule.code)));
          }
          break;
        case 'device-flag':
          push(out, this.#flag(rule, reading, isOpen));
          break;
        case 'device-status':
          out.push(...this.#deviceStatus(rule, reading));
          break;
        case 'stale':
        case 'device-alarm':
          break;
      }
    }

    return out.filter((o) => o.action === 'fire' || isOpen(o.ruleId, o.code));
  }

  /** Evaluates what the passage of time alone decides: `for` windows elapsing. */
  tick(now: number, rules: readonly Rule[]): RuleOutcome[] {
    const out: RuleOutcome[] = [];
    for (const rule of rules) {
      if (rule.enabled && rule.kind === 'threshold') {
        const prev = this.#thresholds.get(rule.id);
        if (prev !== undefined) {
          const r = tickThreshold(rule, prev, this.profile.patientId, now);
          this.#thresholds.set(rule.id, r.state);
          push(out, r.outcome);
        }
      }
      if (rule.enabled && rule.kind === 'device-status') {
        out.push(...this.#tickStatus(rule, now));
      }
    }

    return out;
  }

  /** Re-scores NEWS2 and trends after a clinician changed the profile. */
  reprofile(
    profile: PatientProfile,
    rules: readonly Rule[],
    now: number,
    isOpen: IsOpen,
  ): RuleOutcome[] {
    this.profile = profile;
    const out: RuleOutcome[] = [];
    for (const rule of rules) {
      if (rule.enabled && rule.kind === 'news2') {
        // A clinician's change of profile applies at once, without hysteresis.
        const outcome = evaluateNews2(rule, this.#latest, profile, now).outcome;
        const severity = outcome.action === 'fire' ? outcome.severity : undefined;
        this.#news2Hold = { severity, below: 0 };
        out.push(outcome);
      }
      if (rule.enabled && rule.kind === 'trend') {
        const samples = this.#samples.get(rule.code) ?? [];
        push(out, evaluateTrend(rule, samples, profile, isOpen(rule.id, rule.code)));
      }
    }

    return out.filter((o) => o.action === 'fire' || isOpen(o.ruleId, o.code));
  }

  #news2(rule: News2Rule, now: number, isOpen: IsOpen): RuleOutcome | undefined {
    // Most readings leave a patient in the low band with nothing open: skip the explanation.
    const quick = scoreNews2(this.#latest, this.profile);
    if (quick.band === 'low' && !isOpen(rule.id, 'news2')) {
      this.#news2Hold = NO_NEWS2_HOLD;

      return undefined;
    }

    const scored = evaluateNews2(rule, this.#latest, this.profile, now).outcome;
    const { hold, outcome } = holdNews2(rule, this.#news2Hold, scored);
    this.#news2Hold = hold;

    return outcome;
  }

  #setLatest(reading: Reading): boolean {
    const code = reading.code as (typeof NEWS2_CODES)[number];
    const prev = this.#latest[code];
    if (prev !== undefined && prev.at > reading.at) {
      return false;
    }
    this.#latest[code] = reading;

    return true;
  }

  #addSample(reading: Reading, windowMs: number): void {
    const list = this.#samples.get(reading.code) ?? [];
    if (!list.some((r) => r.observationId === reading.observationId)) {
      list.push(reading);
    }
    const newest = Math.max(...list.map((r) => r.at));
    this.#samples.set(
      reading.code,
      list.filter((r) => newest - r.at <= windowMs),
    );
  }

  #flag(rule: PassThroughRule, reading: Reading, isOpen: IsOpen): RuleOutcome | undefined {
    if (reading.interpretation.length === 0 && !isOpen(rule.id, reading.code)) {
      return undefined;
    }
    const outcome = flagOutcome(rule, reading);
    if (outcome.action === 'clear' && !isOpen(rule.id, reading.code)) {
      return undefined;
    }

    return outcome;
  }

  #deviceStatus(rule: PassThroughRule, reading: Reading): RuleOutcome[] {
    const out: RuleOutcome[] = [];
    const persist = rule.persistMs ?? STATUS_FLAGS;
    for (const flag of Object.keys(persist)) {
      const code = statusCode(reading.deviceId, flag);
      const prev = this.#status.get(code);
      const on = reading.quality.includes(flag);
      if (prev === undefined && !on) {
        continue;
      }
      const timing = { forMs: persist[flag] ?? 0, clearForMs: 0, maxGapMs: Infinity };
      const step = stepCondition(
        prev ?? OK_STATE,
        { breach: on, clear: !on, at: reading.at },
        timing,
      );
      if (step.state.phase === 'ok') {
        this.#status.delete(code);
      } else {
        this.#status.set(code, { ...step.state, reading, flag });
      }
      push(out, statusOutcome(rule, step.event, code, flag, reading));
    }

    return out;
  }

  #tickStatus(rule: PassThroughRule, now: number): RuleOutcome[] {
    const out: RuleOutcome[] = [];
    const persist = rule.persistMs ?? STATUS_FLAGS;
    for (const [code, st] of this.#status) {
      const timing = { forMs: persist[st.flag] ?? 0, clearForMs: 0, maxGapMs: Infinity };
      const step = advanceCondition(st, now, timing);
      this.#status.set(code, { ...step.state, reading: st.reading, flag: st.flag });
      push(out, statusOutcome(rule, step.event, code, st.flag, st.reading));
    }

    return out;
  }
}

function push(out: RuleOutcome[], outcome: RuleOutcome | undefined): void {
  if (outcome !== undefined) {
    out.push(outcome);
  }
}

function statusOutcome(
  rule: PassThroughRule,
  event: 'fire' | 'clear' | undefined,
  code: string,
  flag: string,
  reading: Reading,
): RuleOutcome | undefined {
  if (event === undefined) {
    return undefined;
  }

  const explanation: Explanation = {
    ruleId: rule.id,
    ruleKind: 'device-status',
    summary: `device reports ${flag}`,
    thresholds: { flag, persistMs: rule.persistMs?.[flag] ?? STATUS_FLAGS[flag] ?? 0 },
    evidence: [
      {
        code: reading.code,
        value: flag,
        at: new Date(reading.at).toISOString(),
        observationId: reading.observationId,
        deviceId: reading.deviceId,
      },
    ],
  };
  const base = { ruleId: rule.id, code, patientId: reading.patientId, explanation };

  return event === 'fire'
    ? { ...base, action: 'fire', severity: 'low', title: `${rule.title}: ${flag}` }
    : { ...base, action: 'clear' };
}
