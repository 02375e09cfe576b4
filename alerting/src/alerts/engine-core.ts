import type pino from 'pino';

import type { Database } from '../db/index.js';
import { applyOverride } from '../rules/overrides.js';
import { PatientEvaluator } from '../rules/patient-evaluator.js';
import { RuleStore } from '../rules/rule-store.js';
import { evaluateStale, type DeviceSeen } from '../rules/stale.js';
import {
  defaultProfile,
  type PatientProfile,
  type Reading,
  type Rule,
  type RuleOutcome,
  type RuleOverride,
} from '../rules/types.js';
import { AlertAudit, transitionRecord } from './alert-audit.js';
import { AlertStore } from './alert-store.js';
import type { EscalationPolicy } from './escalation.js';
import { EscalationScheduler } from './escalation-scheduler.js';
import {
  autoResolve,
  createAlert,
  fingerprintOf,
  latches,
  markCleared,
  refire,
  reopen,
} from './lifecycle.js';
import { MemoryBuffer } from './memory-buffer.js';
import { OpenAlerts } from './open-alerts.js';
import { RuleMemory } from './rule-memory.js';
import { isSilenced } from './silences.js';
import { TransitionQueue, type TransitionQueueOptions } from './transition-queue.js';
import type { Alert, AuditSink, Clock, Silence } from './types.js';

/** Options of {@link EngineCore}. */
export interface EngineCoreOptions {
  db: Database;
  clock: Clock;
  audit?: AuditSink;
  policies?: readonly EscalationPolicy[];
  policyFor?: (alert: Alert) => string;
  defaultUnit?: string;
  log: pino.Logger;
  publish: TransitionQueueOptions['publish'];
  evaluated: TransitionQueueOptions['evaluated'];
}

/**
 * The state of an `AlertEngine` (each patient's rule state, open alerts, rules in force,
 * silences, units, profiles, devices) and what turns rule outcomes into transitions:
 * raise, re-fire, clear, escalate. Internal to the alerting package; the engine's public
 * methods and its settings (`engine-settings.ts`) drive it through its queue.
 */
export class EngineCore {
  readonly store: AlertStore;
  readonly rules: RuleStore;
  readonly memory: RuleMemory;
  readonly buffer: MemoryBuffer;
  readonly clock: Clock;
  readonly audit: AlertAudit;
  readonly escalation: EscalationScheduler;
  readonly open: OpenAlerts;
  readonly queue: TransitionQueue;
  readonly log: pino.Logger;
  readonly defaultUnit: string;
  readonly patients = new Map<string, PatientEvaluator>();
  readonly profiles = new Map<string, PatientProfile>();
  readonly units = new Map<string, string>();
  readonly devices = new Map<string, DeviceSeen>();
  readonly cadences = new Map<string, number>();
  readonly seenAlarms = new Set<string>();
  silences: Silence[] = [];
  ruleList: Rule[] = [];
  trendCodes = new Set<string>();
  #overrides = new Map<string, RuleOverride>();
  readonly #effective = new Map<string, Rule[]>();

  constructor(options: EngineCoreOptions) {
    this.clock = options.clock;
    this.log = options.log;
    this.store = new AlertStore(
      options.db,
      options.audit === undefined ? undefined : transitionRecord,
    );
    this.rules = new RuleStore(options.db);
    this.memory = new RuleMemory(options.db);
    this.buffer = new MemoryBuffer(this.memory);
    this.escalation = new EscalationScheduler(options);
    this.defaultUnit = options.defaultUnit ?? 'unassigned';
    this.audit = new AlertAudit({
      sink: options.audit,
      db: options.db,
      clock: this.clock,
      log: this.log,
    });
    this.open = new OpenAlerts(this.store, this.log);
    this.queue = new TransitionQueue({
      store: this.store,
      open: this.open,
      audit: this.audit,
      show: (a) => this.withSilence(a) as Alert,
      publish: options.publish,
      evaluated: options.evaluated,
    });
  }

  nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Loads what a restarted hub must not forget: rules, units, devices, memory, open alerts. */
  async restore(): Promise<void> {
    await this.reloadRules();
    for (const p of await this.rules.profiles()) {
      this.profiles.set(p.patientId, p);
    }
    for (const [patient, unit] of await this.memory.units()) {
      this.units.set(patient, unit);
    }
    for (const [deviceId, ms] of await this.memory.cadences()) {
      this.cadences.set(deviceId, ms);
    }
    for (const d of await this.memory.devices()) {
      this.devices.set(d.deviceId, { ...d, cadenceMs: this.cadences.get(d.deviceId) });
    }
    this.silences = await this.store.silencesEndingAfter(this.nowIso());
    for (const r of await this.memory.recall()) {
      this.evaluator(r.reading.patientId).restore(r.reading, r.kind);
    }
    const now = this.clock();
    const open = await this.store.open();
    this.open.load(open);
    for (const alert of open) {
      if (alert.ruleKind === 'threshold' && alert.clearedAt === undefined) {
        this.evaluator(alert.patientId).markFiring(alert.ruleId, now);
      }
      if (alert.ruleKind === 'news2' && alert.clearedAt === undefined) {
        this.evaluator(alert.patientId).markNews2(alert.severity);
      }
    }
  }

  async reloadRules(): Promise<void> {
    this.ruleList = await this.rules.rules();
    this.#overrides = new Map(
      (await this.rules.overrides()).map((o) => [`${o.ruleId}|${o.patientId}`, o]),
    );
    this.#effective.clear();
    this.trendCodes = new Set(this.ruleList.flatMap((r) => (r.kind === 'trend' ? [r.code] : [])));
  }

  /** The rules as they apply to one patient, overrides laid over them. */
  rulesFor(patientId: string): Rule[] {
    let rules = this.#effective.get(patientId);
    if (rules === undefined) {
      rules = this.ruleList.map((r) =>
        applyOverride(r, this.#overrides.get(`${r.id}|${patientId}`)),
      );
      this.#effective.set(patientId, rules);
    }

    return rules;
  }

  evaluator(patientId: string): PatientEvaluator {
    let ev = this.patients.get(patientId);
    if (ev === undefined) {
      ev = new PatientEvaluator(this.profileOf(patientId));
      this.patients.set(patientId, ev);
    }

    return ev;
  }

  profileOf(patientId: string): PatientProfile {
    return this.profiles.get(patientId) ?? defaultProfile(patientId);
  }

  unitOf(patientId: string): string {
    return this.units.get(patientId) ?? this.defaultUnit;
  }

  /** Notes that a device reported `r` (and every code it ever reported). */
  touch(r: Reading): DeviceSeen {
    const prev = this.devices.get(r.deviceId);
    const codes = prev?.codes ?? [];
    const d: DeviceSeen = {
      deviceId: r.deviceId,
      patientId: r.patientId,
      codes: codes.includes(r.code) ? codes : [...codes, r.code].sort(),
      // Heard from now, even through a late batch an agent replays after an outage.
      lastAt: Math.max(prev?.lastAt ?? 0, r.at, this.clock()),
      cadenceMs: this.cadences.get(r.deviceId),
    };
    this.devices.set(r.deviceId, d);

    return d;
  }

  async applyStale(d: DeviceSeen): Promise<void> {
    for (const rule of this.rulesFor(d.patientId)) {
      if (rule.kind === 'stale' && rule.enabled) {
        const open = this.open.isOpenFor(d.patientId)(rule.id, `device/${d.deviceId}`);
        const o = evaluateStale(rule, d, this.clock(), open);
        if (o !== undefined) {
          await this.apply(o);
        }
      }
    }
  }

  readonly isLatest = (r: Reading): boolean => {
    const ev = this.patients.get(r.patientId);

    return ev?.latest[r.code as keyof typeof ev.latest]?.observationId === r.observationId;
  };

  flushMemory(): Promise<void> {
    return this.buffer.flush(this.clock(), this.ruleList);
  }

  rememberAlarm(alarmId: string): void {
    this.seenAlarms.add(alarmId);
    if (this.seenAlarms.size > 10_000) {
      const oldest = this.seenAlarms.values().next().value;
      if (oldest !== undefined) {
        this.seenAlarms.delete(oldest);
      }
    }
  }

  /** Turns a rule's outcome into a transition: raise, re-fire, clear (or nothing). */
  async apply(outcome: RuleOutcome): Promise<void> {
    const o = this.#explainOverride(outcome);
    const fp = fingerprintOf(o.ruleId, o.patientId, o.code);
    const open = this.open.get(fp);
    const now = this.nowIso();

    if (o.action === 'clear') {
      if (open === undefined || open.clearedAt !== undefined) {
        return;
      }
      const acknowledged = open.status === 'acknowledged';
      const next = latches(open.severity, acknowledged)
        ? markCleared({ ...open, explanation: o.explanation }, now)
        : autoResolve({ ...open, explanation: o.explanation }, now);
      const kind = next.status === 'resolved' ? 'resolved' : 'condition-cleared';
      await this.queue.transition(next, kind, 'system', {});

      return;
    }

    if (open === undefined) {
      const draft = createAlert(o, this.unitOf(o.patientId), now, {
        policyId: '',
        step: -1,
        round: 0,
        target: '',
      });
      const at = this.clock();
      const silenced = isSilenced(this.silences, draft, at);
      const escalation = this.escalation.start(draft, at, silenced);
      await this.queue.transition({ ...draft, escalation }, 'raised', 'system', {
        target: escalation.target,
      });

      return;
    }

    const changed = refire(open, o, now);
    if (changed === undefined) {
      return;
    }
    const next = changed.worse
      ? reopen(changed.alert, this.escalation.start(changed.alert, this.clock()))
      : changed.alert;
    const detail = { from: open.severity, to: next.severity };
    await this.queue.transition(next, 'updated', 'system', detail);
  }

  // A clinician's per-patient override shaped this outcome: say who set it, when and why.
  #explainOverride(o: RuleOutcome): RuleOutcome {
    const override = this.#overrides.get(`${o.ruleId}|${o.patientId}`);
    if (override === undefined) {
      return o;
    }

    const { setBy, setAt, reason, params } = override;

    return { ...o, explanation: { ...o.explanation, override: { setBy, setAt, reason, params } } };
  }

  async escalateDue(now: number): Promise<void> {
    const silenced = (a: Alert) => isSilenced(this.silences, a, now);
    for (const { alert, next } of this.escalation.due(this.open.values(), now, silenced)) {
      await this.queue.transition(
        { ...alert, escalation: next, updatedAt: new Date(now).toISOString() },
        'escalated',
        'system',
        { target: next.target, step: next.step, round: next.round },
      );
    }
  }

  withSilence(alert: Alert | undefined): Alert | undefined {
    if (alert === undefined) {
      return undefined;
    }

    const silenced = alert.status !== 'resolved' && isSilenced(this.silences, alert, this.clock());

    return { ...alert, silenced };
  }
}
