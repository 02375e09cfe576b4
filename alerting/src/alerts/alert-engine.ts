import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

import type { Observation } from '@sparkden/protocol';
import pino from 'pino';

import type { Database } from '../db/index.js';
import type { BatchOrigin } from '../ingest/trace-context.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { alarmOutcome, type DeviceAlarm } from '../rules/device.js';
import { applyOverride } from '../rules/overrides.js';
import { PatientEvaluator } from '../rules/patient-evaluator.js';
import { toReadings } from '../rules/readings.js';
import { RuleStore } from '../rules/rule-store.js';
import { evaluateStale, type DeviceSeen } from '../rules/stale.js';
import {
  defaultProfile,
  type PatientProfile,
  type Reading,
  type Rule,
  type RuleOutcome,
  type RuleOverride,
  severityRank,
} from '../rules/types.js';
import { AlertAudit } from './alert-audit.js';
import { AlertStore, type PendingTransition } from './alert-store.js';
import { AlertError } from './errors.js';
import type { EscalationPolicy } from './escalation.js';
import { EscalationScheduler } from './escalation-scheduler.js';
import { EvaluationTrace } from './evaluation-trace.js';
import {
  acknowledgeAlert,
  autoResolve,
  createAlert,
  fingerprintOf,
  latches,
  markCleared,
  markNonActionable,
  refire,
  reopen,
  resolveAlert,
} from './lifecycle.js';
import { MemoryBuffer } from './memory-buffer.js';
import { migrateAlerting } from './migrations.js';
import { RuleMemory } from './rule-memory.js';
import { checkSilence, isSilenced } from './silences.js';
import type { Alert, AlertEvent, AlertEventKind, AuditSink, Clock, Silence } from './types.js';

/** Options of {@link AlertEngine.open}. */
export interface AlertEngineOptions {
  db: Database;
  /** Epoch milliseconds; inject a controllable clock in tests. Default `Date.now`. */
  clock?: Clock;
  /** The gateway's audit trail; every transition is also kept in `alerting.alert_events`. */
  audit?: AuditSink;
  policies?: readonly EscalationPolicy[];
  /** Which policy an alert follows (default by severity: `defaultPolicyId`). */
  policyFor?: (alert: Alert) => string;
  /** The unit of a patient no one has placed yet. Default `'unassigned'`. */
  defaultUnit?: string;
  /** How often `start()` ticks. Default 1000 ms. */
  tickIntervalMs?: number;
  /** Rules seeded into a fresh database. Default {@link DEFAULT_RULES}. */
  seedRules?: readonly Rule[];
  logger?: pino.Logger;
}

/** Events of an {@link AlertEngine}. */
export interface AlertEngineEvents {
  /** A new alert. `origin` is set when a committed batch caused it (not a tick or a user). */
  alertRaised: [event: AlertEvent, origin?: BatchOrigin];
  /** Any later transition of an alert. */
  alertUpdated: [event: AlertEvent, origin?: BatchOrigin];
  /** Every event, raised or updated, in cursor order. */
  alertEvent: [event: AlertEvent, origin?: BatchOrigin];
  /** A committed batch went through the rules: seconds spent, queue wait excluded. */
  batchEvaluated: [evaluation: BatchEvaluation];
}

/** What {@link AlertEngine} reports in `batchEvaluated`. */
export interface BatchEvaluation {
  kind: 'obs' | 'alarm';
  /** Observations or alarms in the batch. */
  items: number;
  /** Rule evaluation and the alerts' commit, in seconds. */
  seconds: number;
  /** Alert events the batch produced. */
  events: number;
}

/**
 * The rule engine and alert lifecycle. Keeps each patient's rule state in memory and the
 * `alerting` schema as the record; every change goes through one queue, so events are
 * stored and emitted in cursor order. Reopening on the same database resumes open alerts,
 * their escalation and the rules' memory.
 *
 * @example
 * ```ts
 * const engine = await AlertEngine.open({ db, audit });
 * engine.on('alertRaised', (e) => console.log(e.alert.title));
 * await engine.handleObservations(batch.observations); // after the batch is committed
 * engine.start();
 * ```
 */
export class AlertEngine extends EventEmitter<AlertEngineEvents> {
  readonly store: AlertStore;
  readonly rules: RuleStore;
  readonly #memory: RuleMemory;
  readonly #buffer: MemoryBuffer;
  readonly #clock: Clock;
  readonly #audit: AlertAudit;
  readonly #escalation: EscalationScheduler;
  readonly #defaultUnit: string;
  readonly #tickMs: number;
  readonly #log: pino.Logger;
  readonly #open = new Map<string, Alert>();
  readonly #patients = new Map<string, PatientEvaluator>();
  readonly #profiles = new Map<string, PatientProfile>();
  readonly #units = new Map<string, string>();
  readonly #devices = new Map<string, DeviceSeen>();
  readonly #seenAlarms = new Set<string>();
  #rules: Rule[] = [];
  #overrides = new Map<string, RuleOverride>();
  #silences: Silence[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #timer?: NodeJS.Timeout;
  #closed = false;
  readonly #effective = new Map<string, Rule[]>();
  #trendCodes = new Set<string>();
  #flushing?: Promise<void>;
  #batch?: PendingTransition[];
  #evaluating?: EvaluationTrace;

  private constructor(options: AlertEngineOptions) {
    super();
    this.store = new AlertStore(options.db);
    this.rules = new RuleStore(options.db);
    this.#memory = new RuleMemory(options.db);
    this.#buffer = new MemoryBuffer(this.#memory);
    this.#clock = options.clock ?? Date.now;
    this.#escalation = new EscalationScheduler(options);
    this.#defaultUnit = options.defaultUnit ?? 'unassigned';
    this.#tickMs = options.tickIntervalMs ?? 1000;
    this.#log = (options.logger ?? pino({ enabled: false })).child({ module: 'alerting:engine' });
    this.#audit = new AlertAudit(options.audit, this.#log);
  }

  /** Migrates the `alerting` schema, seeds default rules and restores the engine's state. */
  static async open(options: AlertEngineOptions): Promise<AlertEngine> {
    const engine = new AlertEngine(options);
    await migrateAlerting(options.db);
    await engine.rules.seed(options.seedRules ?? DEFAULT_RULES, engine.#nowIso());
    await engine.#restore();

    return engine;
  }

  // ---- inputs ------------------------------------------------------------------------

  /**
   * Evaluates committed observations. Resolves once the alerts they raised are stored.
   * `origin` (from ingest) continues the batch's trace and times its alerts.
   */
  handleObservations(observations: readonly Observation[], origin?: BatchOrigin): Promise<void> {
    const readings = observations.flatMap(toReadings).sort((a, b) => a.at - b.at);

    return this.#evaluate('obs', observations.length, origin, () =>
      this.#undoOnFailure(readings, async () => {
        const touched = new Map<string, DeviceSeen>();
        for (const reading of readings) {
          // Applied reading by reading: a batch replayed after an outage may both raise and
          // clear the same condition, and the clear must see the alert the raise opened.
          const ev = this.#evaluator(reading.patientId);
          const rules = this.#rulesFor(reading.patientId);
          for (const o of ev.observe(reading, rules, this.#isOpenFor(reading.patientId))) {
            await this.#apply(o);
          }
          touched.set(reading.deviceId, this.#touch(reading));
        }
        for (const d of touched.values()) {
          await this.#applyStale(d);
        }
        // Rule memory is flushed by tick() and close(), off the alert path: losing a second
        // of it in a crash costs at most a NEWS2 input the next reading restores.
        this.#buffer.note(touched.values(), readings, this.#isLatest, this.#trendCodes);
      }),
    );
  }

  // NOTE: a batch whose alerts were not committed must be evaluable again when ingest
  // hands it over a second time (the agent's resend). The patients' rule state is rolled
  // back to before the batch, so the same readings fire the same alerts; the open alerts
  // are already taken back from the record by #commit.
  async #undoOnFailure(readings: readonly Reading[], fn: () => Promise<void>): Promise<void> {
    const patients = new Set(readings.map((r) => r.patientId));
    const before = new Map([...patients].map((id) => [id, this.#patients.get(id)?.snapshot()]));
    try {
      await this.#batched(fn);
    } catch (error) {
      for (const [id, snapshot] of before) {
        if (snapshot === undefined) {
          this.#patients.delete(id);
        } else {
          this.#patients.get(id)?.rollback(snapshot);
        }
      }
      throw error;
    }
  }

  /** Passes device-reported alarms (`up/alarm`) through as alerts. */
  handleAlarms(
    agentId: string,
    alarms: readonly DeviceAlarm[],
    origin?: BatchOrigin,
  ): Promise<void> {
    const added: string[] = [];

    return this.#evaluate('alarm', alarms.length, origin, () =>
      this.#batched(async () => {
        const rule = this.#rules.find((r) => r.kind === 'device-alarm');
        if (rule === undefined || rule.kind !== 'device-alarm' || !rule.enabled) {
          return;
        }
        for (const alarm of alarms) {
          if (this.#seenAlarms.has(alarm.id)) {
            continue;
          }
          added.push(alarm.id);
          this.#remember(alarm.id);
          await this.#apply(alarmOutcome(rule, agentId, alarm));
        }
      }).catch((error: unknown) => {
        // Not committed: a resend of these alarms must pass through again.
        for (const id of added) {
          this.#seenAlarms.delete(id);
        }
        throw error;
      }),
    );
  }

  /** Evaluates time-based rules (`for` windows, no-data) and due escalations. */
  tick(): Promise<void> {
    return this.#run(() =>
      this.#batched(async () => {
        const now = this.#clock();
        for (const [patientId, ev] of this.#patients) {
          for (const o of ev.tick(now, this.#rulesFor(patientId))) {
            await this.#apply(o);
          }
        }
        for (const d of this.#devices.values()) {
          await this.#applyStale(d);
        }
        await this.#escalateDue(now);
        // Off the queue: the memory tables are not on the alert path.
        this.#flushing ??= this.#flushMemory()
          .catch((error: unknown) =>
            this.#log.warn({ err: error }, 'rule memory flush failed; retried next tick'),
          )
          .finally(() => (this.#flushing = undefined));
      }),
    );
  }

  /** Ticks every `tickIntervalMs` until {@link stop}. */
  start(): void {
    if (this.#closed) {
      throw new AlertError('CLOSED', 'the engine is closed');
    }
    if (this.#timer !== undefined) {
      return;
    }

    this.#timer = setInterval(() => {
      this.tick().catch((error: unknown) => {
        this.#log.error({ err: error }, 'tick failed');
      });
    }, this.#tickMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer and waits for queued work; later calls throw `CLOSED`. */
  async close(): Promise<void> {
    this.stop();
    const flushed = this.#run(async () => {
      await this.#flushing;
      await this.#flushMemory();
    });
    this.#closed = true;
    await flushed;
  }

  // ---- commands ----------------------------------------------------------------------

  /** Acknowledges an open alert; idempotent for one already acknowledged. */
  acknowledge(id: string, actor: string, note?: string): Promise<Alert> {
    return this.#command(id, async (alert) => {
      if (alert.status === 'acknowledged') {
        return alert;
      }

      return this.#transition(
        acknowledgeAlert(alert, actor, this.#nowIso()),
        'acknowledged',
        actor,
        { note },
      );
    });
  }

  /** Resolves an open alert. If its condition persists, the rule may fire it again. */
  resolve(id: string, actor: string, note?: string): Promise<Alert> {
    return this.#command(id, async (alert) => {
      const next = await this.#transition(
        resolveAlert(alert, actor, this.#nowIso()),
        'resolved',
        actor,
        { note },
      );
      this.#patients.get(alert.patientId)?.reset(alert.ruleId, alert.code);

      return next;
    });
  }

  /** Moves an open alert to the next target of its escalation chain now. */
  escalate(id: string, actor: string): Promise<Alert> {
    return this.#command(id, async (alert) => {
      if (alert.status === 'resolved') {
        throw new AlertError('INVALID_TRANSITION', `alert ${id} is resolved`);
      }
      const next = this.#escalation.manual(alert, this.#clock());
      const updated = { ...alert, escalation: next, updatedAt: this.#nowIso() };

      return this.#transition(updated, 'escalated', actor, { target: next.target, manual: true });
    });
  }

  /** Marks an alert (open or resolved) as not needing clinical action. */
  markNonActionable(id: string, actor: string, reason?: string): Promise<Alert> {
    return this.#command(id, (alert) => {
      const next = markNonActionable(alert, actor, this.#nowIso(), reason);

      return this.#transition(next, 'marked-non-actionable', actor, { reason });
    });
  }

  /**
   * Silences non-urgent alerts matching a unit or patient (optionally a rule and code)
   * until `endsAt`. Urgent alerts are never silenced.
   *
   * @throws {AlertError} `INVALID_SILENCE`.
   */
  silence(
    input: {
      unit?: string;
      patientId?: string;
      ruleId?: string;
      code?: string;
      endsAt: string;
      reason?: string;
    },
    actor: string,
  ): Promise<Silence> {
    return this.#run(async () => {
      const now = this.#nowIso();
      const silence: Silence = {
        ...input,
        id: randomUUID(),
        startsAt: now,
        createdBy: actor,
        createdAt: now,
      };
      checkSilence(silence);

      await this.store.addSilence(silence);
      this.#silences.push(silence);
      await this.#audit.config(
        actor,
        'silence.create',
        `Silence/${silence.id}`,
        silence.patientId,
        {
          ...input,
        },
      );
      for (const alert of [...this.#open.values()]) {
        if (isSilenced([silence], alert, this.#clock())) {
          await this.#transition({ ...alert, updatedAt: now }, 'silenced', actor, {
            silenceId: silence.id,
            endsAt: silence.endsAt,
          });
        }
      }

      return silence;
    });
  }

  /** Silences in force now or later. */
  activeSilences(): Silence[] {
    const now = this.#clock();

    return this.#silences.filter((s) => Date.parse(s.endsAt) > now);
  }

  /** Ends a silence now. */
  endSilence(id: string, actor: string): Promise<boolean> {
    return this.#run(async () => {
      const now = this.#nowIso();
      const ended = await this.store.endSilence(id, now);
      this.#silences = this.#silences.map((s) => (s.id === id ? { ...s, endsAt: now } : s));
      if (ended) {
        await this.#audit.config(actor, 'silence.end', `Silence/${id}`, undefined, {});
      }

      return ended;
    });
  }

  /** Places a patient in a care unit; alerts raised afterwards go to that unit's room. */
  setPatientUnit(patientId: string, unit: string, actor: string): Promise<void> {
    return this.#run(async () => {
      if (unit.length === 0 || unit.length > 64) {
        throw new TypeError('"unit" must be 1 to 64 characters');
      }
      await this.#memory.setUnit(patientId, unit, actor, this.#nowIso());
      this.#units.set(patientId, unit);
      await this.#audit.config(actor, 'patient-unit.set', `PatientUnit/${patientId}`, patientId, {
        unit,
      });
    });
  }

  /** The care unit of a patient. */
  unitOf(patientId: string): string {
    return this.#units.get(patientId) ?? this.#defaultUnit;
  }

  /** Sets a patient's NEWS2 profile and conditions; re-scores at once. */
  setProfile(profile: PatientProfile, actor: string): Promise<PatientProfile> {
    return this.#run(async () => {
      const stored = await this.rules.setProfile(profile, actor, this.#nowIso());
      this.#profiles.set(stored.patientId, stored);
      await this.#audit.config(
        actor,
        'profile.set',
        `PatientProfile/${stored.patientId}`,
        stored.patientId,
        {},
      );
      const ev = this.#evaluator(stored.patientId);
      const isOpen = this.#isOpenFor(stored.patientId);
      for (const o of ev.reprofile(
        stored,
        this.#rulesFor(stored.patientId),
        this.#clock(),
        isOpen,
      )) {
        await this.#apply(o);
      }

      return stored;
    });
  }

  profileOf(patientId: string): PatientProfile {
    return this.#profiles.get(patientId) ?? defaultProfile(patientId);
  }

  /** Sets a device's expected cadence for the no-data rule. */
  setDeviceCadence(deviceId: string, cadenceMs: number | null, actor: string): Promise<boolean> {
    return this.#run(async () => {
      if (cadenceMs !== null && !(cadenceMs > 0)) {
        throw new TypeError('"cadenceMs" must be > 0 or null');
      }
      const found = await this.#memory.setCadence(deviceId, cadenceMs);
      const d = this.#devices.get(deviceId);
      if (d !== undefined) {
        this.#devices.set(deviceId, { ...d, cadenceMs: cadenceMs ?? undefined });
      }
      await this.#audit.config(actor, 'device-cadence.set', `Device/${deviceId}`, d?.patientId, {
        cadenceMs,
      });

      return found;
    });
  }

  /** Creates or replaces a rule and applies it at once. */
  putRule(rule: Rule, actor: string): Promise<Rule> {
    return this.#configure(actor, 'rule.put', `Rule/${rule.id}`, undefined, () =>
      this.rules.putRule(rule, actor, this.#nowIso()),
    );
  }

  deleteRule(id: string, actor: string): Promise<boolean> {
    return this.#configure(actor, 'rule.delete', `Rule/${id}`, undefined, () =>
      this.rules.deleteRule(id, actor, this.#nowIso()),
    );
  }

  /** Sets a clinician's per-patient override (thresholds, durations, enabled). */
  setOverride(
    input: { ruleId: string; patientId: string; params: Record<string, unknown>; reason?: string },
    actor: string,
  ) {
    return this.#configure(
      actor,
      'override.set',
      `RuleOverride/${input.ruleId}`,
      input.patientId,
      () => this.rules.setOverride(input, actor, this.#nowIso()),
    );
  }

  deleteOverride(ruleId: string, patientId: string, actor: string): Promise<boolean> {
    return this.#configure(actor, 'override.delete', `RuleOverride/${ruleId}`, patientId, () =>
      this.rules.deleteOverride(ruleId, patientId, actor, this.#nowIso()),
    );
  }

  /** The rules in force, before per-patient overrides. */
  currentRules(): readonly Rule[] {
    return this.#rules;
  }

  /** An open alert from memory, else any alert from the database. */
  async get(id: string): Promise<Alert | undefined> {
    const open = [...this.#open.values()].find((a) => a.id === id);

    return open === undefined
      ? this.#withSilence(await this.store.get(id))
      : this.#withSilence(open);
  }

  /** Open alerts, grouped per patient (most severe group first). */
  openByPatient(units?: string[]): Array<{ patientId: string; unit: string; alerts: Alert[] }> {
    const groups = new Map<string, Alert[]>();
    for (const a of this.#open.values()) {
      if (units === undefined || units.includes('*') || units.includes(a.unit)) {
        groups.set(a.patientId, [
          ...(groups.get(a.patientId) ?? []),
          this.#withSilence(a) as Alert,
        ]);
      }
    }
    const rank = (as: Alert[]) => Math.max(...as.map((a) => severityRank(a.severity)));

    return [...groups]
      .map(([patientId, alerts]) => ({ patientId, unit: alerts[0]?.unit ?? '', alerts }))
      .sort((x, y) => rank(y.alerts) - rank(x.alerts));
  }

  // ---- internals ---------------------------------------------------------------------

  // Traced from the hand-over, so the span shows the wait in the engine's queue.
  #evaluate(
    kind: 'obs' | 'alarm',
    items: number,
    origin: BatchOrigin | undefined,
    fn: () => Promise<void>,
  ): Promise<void> {
    const traced = new EvaluationTrace(kind, items, origin);
    const run = this.#run(async () => {
      const started = performance.now();
      this.#evaluating = traced;
      try {
        await fn();
      } finally {
        this.#evaluating = undefined;
        const seconds = (performance.now() - started) / 1000;
        this.emit('batchEvaluated', { kind, items, seconds, events: traced.events });
      }
    });

    return run.then(
      () => traced.end(),
      (error: unknown) => {
        traced.fail(error);
        throw error;
      },
    );
  }

  #publish(event: AlertEvent): void {
    const emit = (origin?: BatchOrigin) => {
      this.emit(event.kind === 'raised' ? 'alertRaised' : 'alertUpdated', event, origin);
      this.emit('alertEvent', event, origin);
    };
    if (this.#evaluating === undefined) {
      emit();

      return;
    }

    this.#evaluating.publish(event, emit);
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new AlertError('CLOSED', 'the engine is closed'));
    }
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => undefined);

    return result;
  }

  #command(id: string, fn: (alert: Alert) => Promise<Alert>): Promise<Alert> {
    return this.#run(async () => {
      const alert = [...this.#open.values()].find((a) => a.id === id) ?? (await this.store.get(id));
      if (alert === undefined) {
        throw new AlertError('NOT_FOUND', `no alert ${id}`);
      }

      return fn(alert);
    });
  }

  #configure<T>(
    actor: string,
    action: string,
    entity: string,
    patientId: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    return this.#run(async () => {
      const result = await fn();
      await this.#reloadRules();
      await this.#audit.config(actor, action, entity, patientId, {});

      return result;
    });
  }

  async #restore(): Promise<void> {
    await this.#reloadRules();
    for (const p of await this.rules.profiles()) {
      this.#profiles.set(p.patientId, p);
    }
    for (const [patient, unit] of await this.#memory.units()) {
      this.#units.set(patient, unit);
    }
    for (const d of await this.#memory.devices()) {
      this.#devices.set(d.deviceId, d);
    }
    this.#silences = await this.store.silencesEndingAfter(this.#nowIso());
    for (const r of await this.#memory.recall()) {
      this.#evaluator(r.reading.patientId).restore(r.reading, r.kind);
    }
    const now = this.#clock();
    for (const alert of await this.store.open()) {
      this.#open.set(alert.fingerprint, alert);
      if (alert.ruleKind === 'threshold' && alert.clearedAt === undefined) {
        this.#evaluator(alert.patientId).markFiring(alert.ruleId, now);
      }
    }
  }

  async #reloadRules(): Promise<void> {
    this.#rules = await this.rules.rules();
    this.#overrides = new Map(
      (await this.rules.overrides()).map((o) => [`${o.ruleId}|${o.patientId}`, o]),
    );
    this.#effective.clear();
    this.#trendCodes = new Set(this.#rules.flatMap((r) => (r.kind === 'trend' ? [r.code] : [])));
  }

  #rulesFor(patientId: string): Rule[] {
    let rules = this.#effective.get(patientId);
    if (rules === undefined) {
      rules = this.#rules.map((r) => applyOverride(r, this.#overrides.get(`${r.id}|${patientId}`)));
      this.#effective.set(patientId, rules);
    }

    return rules;
  }

  #evaluator(patientId: string): PatientEvaluator {
    let ev = this.#patients.get(patientId);
    if (ev === undefined) {
      ev = new PatientEvaluator(this.profileOf(patientId));
      this.#patients.set(patientId, ev);
    }

    return ev;
  }

  #isOpenFor(patientId: string) {
    return (ruleId: string, code: string) => this.#open.has(fingerprintOf(ruleId, patientId, code));
  }

  #touch(r: Reading): DeviceSeen {
    const prev = this.#devices.get(r.deviceId);
    const d: DeviceSeen = {
      deviceId: r.deviceId,
      patientId: r.patientId,
      code: r.code,
      lastAt: Math.max(prev?.lastAt ?? 0, r.at),
      cadenceMs: prev?.cadenceMs,
    };
    this.#devices.set(r.deviceId, d);

    return d;
  }

  async #applyStale(d: DeviceSeen): Promise<void> {
    for (const rule of this.#rulesFor(d.patientId)) {
      if (rule.kind === 'stale' && rule.enabled) {
        const open = this.#isOpenFor(d.patientId)(rule.id, `device/${d.deviceId}`);
        const o = evaluateStale(rule, d, this.#clock(), open);
        if (o !== undefined) {
          await this.#apply(o);
        }
      }
    }
  }

  #flushMemory(): Promise<void> {
    return this.#buffer.flush(this.#clock(), this.#rules);
  }

  readonly #isLatest = (r: Reading): boolean => {
    const ev = this.#patients.get(r.patientId);

    return ev?.latest[r.code as keyof typeof ev.latest]?.observationId === r.observationId;
  };

  #remember(alarmId: string): void {
    this.#seenAlarms.add(alarmId);
    if (this.#seenAlarms.size > 10_000) {
      const oldest = this.#seenAlarms.values().next().value;
      if (oldest !== undefined) {
        this.#seenAlarms.delete(oldest);
      }
    }
  }

  async #apply(o: RuleOutcome): Promise<void> {
    const fp = fingerprintOf(o.ruleId, o.patientId, o.code);
    const open = this.#open.get(fp);
    const now = this.#nowIso();

    if (o.action === 'clear') {
      if (open === undefined || open.clearedAt !== undefined) {
        return;
      }
      const acknowledged = open.status === 'acknowledged';
      const next = latches(open.severity, acknowledged)
        ? markCleared({ ...open, explanation: o.explanation }, now)
        : autoResolve({ ...open, explanation: o.explanation }, now);
      await this.#transition(
        next,
        next.status === 'resolved' ? 'resolved' : 'condition-cleared',
        'system',
        {},
      );

      return;
    }

    if (open === undefined) {
      const draft = createAlert(o, this.unitOf(o.patientId), now, {
        policyId: '',
        step: -1,
        round: 0,
        target: '',
      });
      const at = this.#clock();
      const silenced = isSilenced(this.#silences, draft, at);
      const escalation = this.#escalation.start(draft, at, silenced);
      await this.#transition({ ...draft, escalation }, 'raised', 'system', {
        target: escalation.target,
      });

      return;
    }

    const changed = refire(open, o, now);
    if (changed === undefined) {
      return;
    }
    const next = changed.worse
      ? reopen(changed.alert, this.#escalation.start(changed.alert, this.#clock()))
      : changed.alert;
    await this.#transition(next, 'updated', 'system', { from: open.severity, to: next.severity });
  }

  async #escalateDue(now: number): Promise<void> {
    const silenced = (a: Alert) => isSilenced(this.#silences, a, now);
    for (const { alert, next } of this.#escalation.due([...this.#open.values()], now, silenced)) {
      await this.#transition(
        { ...alert, escalation: next, updatedAt: new Date(now).toISOString() },
        'escalated',
        'system',
        { target: next.target, step: next.step, round: next.round },
      );
    }
  }

  async #transition(
    alert: Alert,
    kind: AlertEventKind,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<Alert> {
    const shown = this.#withSilence(alert) as Alert;
    if (alert.status === 'resolved') {
      this.#open.delete(alert.fingerprint);
    } else {
      this.#open.set(alert.fingerprint, alert);
    }
    const pending = { alert: shown, kind, actor, detail };
    if (this.#batch !== undefined) {
      // Inside a batch of readings: stored together when the batch ends.
      this.#batch.push(pending);

      return shown;
    }

    await this.#commit([pending]);

    return shown;
  }

  /** Runs `fn` collecting its transitions, then stores them in one transaction. */
  async #batched(fn: () => Promise<void>): Promise<void> {
    this.#batch = [];
    try {
      await fn();
    } finally {
      const items = this.#batch;
      this.#batch = undefined;
      await this.#commit(items);
    }
  }

  async #commit(items: PendingTransition[]): Promise<void> {
    if (items.length === 0) {
      return;
    }

    let events: AlertEvent[];
    try {
      events = await this.store.writeMany(items);
    } catch (error) {
      // Memory ran ahead of the record: take the record back as the truth.
      this.#open.clear();
      for (const a of await this.store.open().catch(() => [])) {
        this.#open.set(a.fingerprint, a);
      }
      throw error;
    }
    for (const event of events) {
      await this.#audit.transition(event);
      this.#publish(event);
    }
  }

  #withSilence(alert: Alert | undefined): Alert | undefined {
    if (alert === undefined) {
      return undefined;
    }

    const silenced =
      alert.status !== 'resolved' && isSilenced(this.#silences, alert, this.#clock());

    return { ...alert, silenced };
  }

  #nowIso(): string {
    return new Date(this.#clock()).toISOString();
  }
}
