import { EventEmitter } from 'node:events';

import type { Observation } from '@sparkden/protocol';
import pino from 'pino';

import type { Database } from '../db/index.js';
import type { BatchOrigin } from '../ingest/trace-context.js';
import { alertingLogger } from '../log/safe-error.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { alarmOutcome, type DeviceAlarm } from '../rules/device.js';
import { toReadings } from '../rules/readings.js';
import type { RuleStore } from '../rules/rule-store.js';
import type { DeviceSeen } from '../rules/stale.js';
import { severityRank, type PatientProfile, type Reading, type Rule } from '../rules/types.js';
import type { AlertStore } from './alert-store.js';
import { EngineCore } from './engine-core.js';
import * as settings from './engine-settings.js';
import { AlertError } from './errors.js';
import type { EscalationPolicy } from './escalation.js';
import { acknowledgeAlert, markNonActionable, resolveAlert } from './lifecycle.js';
import { migrateAlerting } from './migrations.js';
import type { BatchEvaluation } from './transition-queue.js';
import type { Alert, AlertActor, AlertEvent, AuditSink, Clock, Silence } from './types.js';

export type { BatchEvaluation } from './transition-queue.js';
export type { OverrideInput, SilenceInput } from './engine-settings.js';

/** Options of {@link AlertEngine.open}. */
export interface AlertEngineOptions {
  db: Database;
  /** Epoch milliseconds; inject a controllable clock in tests. Default `Date.now`. */
  clock?: Clock;
  /**
   * The gateway's audit trail. Every transition is also kept in `alerting.alert_events`;
   * records wait in `alerting.audit_outbox` until the sink takes them.
   */
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
  readonly #core: EngineCore;
  readonly #tickMs: number;
  readonly #log: pino.Logger;
  #timer?: NodeJS.Timeout;
  #flushing?: Promise<void>;

  private constructor(options: AlertEngineOptions) {
    super();
    this.#log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:engine');
    this.#tickMs = options.tickIntervalMs ?? 1000;
    this.#core = new EngineCore({
      ...options,
      clock: options.clock ?? Date.now,
      log: this.#log,
      publish: (event, origin) => {
        this.emit(event.kind === 'raised' ? 'alertRaised' : 'alertUpdated', event, origin);
        this.emit('alertEvent', event, origin);
      },
      evaluated: (evaluation) => this.emit('batchEvaluated', evaluation),
    });
    this.store = this.#core.store;
    this.rules = this.#core.rules;
  }

  /** Migrates the `alerting` schema, seeds default rules and restores the engine's state. */
  static async open(options: AlertEngineOptions): Promise<AlertEngine> {
    const engine = new AlertEngine(options);
    await migrateAlerting(options.db);
    await engine.rules.seed(options.seedRules ?? DEFAULT_RULES, engine.#core.nowIso());
    await engine.#core.restore();

    return engine;
  }

  // ---- inputs ------------------------------------------------------------------------

  /**
   * Evaluates committed observations. Resolves once the alerts they raised are stored.
   * `origin` (from ingest) continues the batch's trace and times its alerts.
   */
  handleObservations(observations: readonly Observation[], origin?: BatchOrigin): Promise<void> {
    const core = this.#core;
    const readings = observations.flatMap(toReadings).sort((a, b) => a.at - b.at);

    return core.queue.evaluate('obs', observations.length, origin, () =>
      this.#undoOnFailure(readings, async () => {
        const touched = new Map<string, DeviceSeen>();
        for (const reading of readings) {
          // Applied reading by reading: a batch replayed after an outage may both raise and
          // clear the same condition, and the clear must see the alert the raise opened.
          const ev = core.evaluator(reading.patientId);
          const rules = core.rulesFor(reading.patientId);
          for (const o of ev.observe(reading, rules, core.open.isOpenFor(reading.patientId))) {
            await core.apply(o);
          }
          touched.set(reading.deviceId, core.touch(reading));
        }
        for (const d of touched.values()) {
          await core.applyStale(d);
        }
        // Rule memory is flushed by tick() and close(), off the alert path: losing a second
        // of it in a crash costs at most a NEWS2 input the next reading restores.
        core.buffer.note(touched.values(), readings, core.isLatest, core.trendCodes);
      }),
    );
  }

  // NOTE: a batch whose alerts were not committed must be evaluable again when ingest
  // hands it over a second time (the agent's resend). The patients' rule state is rolled
  // back to before the batch, so the same readings fire the same alerts; the open alerts
  // are already taken back from the record by the queue's commit.
  async #undoOnFailure(readings: readonly Reading[], fn: () => Promise<void>): Promise<void> {
    const patients = this.#core.patients;
    const ids = new Set(readings.map((r) => r.patientId));
    const before = new Map([...ids].map((id) => [id, patients.get(id)?.snapshot()]));
    try {
      await this.#core.queue.batched(fn);
    } catch (error) {
      for (const [id, snapshot] of before) {
        if (snapshot === undefined) {
          patients.delete(id);
        } else {
          patients.get(id)?.rollback(snapshot);
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
    const core = this.#core;
    const added: string[] = [];

    return core.queue.evaluate('alarm', alarms.length, origin, () =>
      core.queue
        .batched(async () => {
          const rule = core.ruleList.find((r) => r.kind === 'device-alarm');
          if (rule === undefined || rule.kind !== 'device-alarm' || !rule.enabled) {
            return;
          }
          for (const alarm of alarms) {
            if (core.seenAlarms.has(alarm.id)) {
              continue;
            }
            added.push(alarm.id);
            core.rememberAlarm(alarm.id);
            await core.apply(alarmOutcome(rule, agentId, alarm));
          }
        })
        .catch((error: unknown) => {
          // Not committed: a resend of these alarms must pass through again.
          for (const id of added) {
            core.seenAlarms.delete(id);
          }
          throw error;
        }),
    );
  }

  /** Evaluates time-based rules (`for` windows, no-data) and due escalations. */
  tick(): Promise<void> {
    const core = this.#core;

    return core.queue.run(async () => {
      await core.queue.batched(async () => {
        await core.open.reloadIfNeeded();
        const now = core.clock();
        for (const [patientId, ev] of core.patients) {
          for (const o of ev.tick(now, core.rulesFor(patientId))) {
            await core.apply(o);
          }
        }
        for (const d of core.devices.values()) {
          await core.applyStale(d);
        }
        await core.escalateDue(now);
        // Off the queue: the memory tables are not on the alert path.
        this.#flushing ??= core
          .flushMemory()
          .catch((error: unknown) =>
            this.#log.warn({ err: error }, 'rule memory flush failed; retried next tick'),
          )
          .finally(() => (this.#flushing = undefined));
      });
      // Audit records a failing sink left in the outbox.
      await core.audit.drain();
    });
  }

  /** Ticks every `tickIntervalMs` until {@link stop}. */
  start(): void {
    if (this.#core.queue.closed) {
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
    await this.#core.queue.close(async () => {
      await this.#flushing;
      await this.#core.flushMemory();
    });
  }

  // ---- commands ----------------------------------------------------------------------

  /**
   * Acknowledges an open alert; idempotent for one already acknowledged (the first
   * acknowledger stays). An `actor` with a `name` puts that name on the alert, for other
   * consoles to show; the event and the audit record name the id only.
   */
  acknowledge(id: string, actor: string | AlertActor, note?: string): Promise<Alert> {
    const who = typeof actor === 'string' ? { id: actor } : actor;

    return this.#command(id, async (alert) => {
      if (alert.status === 'acknowledged') {
        return alert;
      }

      const next = acknowledgeAlert(alert, who, this.#core.nowIso());

      return this.#core.queue.transition(next, 'acknowledged', who.id, { note });
    });
  }

  /** Resolves an open alert. If its condition persists, the rule may fire it again. */
  resolve(id: string, actor: string, note?: string): Promise<Alert> {
    return this.#command(id, async (alert) => {
      const resolved = resolveAlert(alert, actor, this.#core.nowIso());
      const next = await this.#core.queue.transition(resolved, 'resolved', actor, { note });
      this.#core.patients.get(alert.patientId)?.reset(alert.ruleId, alert.code);

      return next;
    });
  }

  /** Moves an open alert to the next target of its escalation chain now. */
  escalate(id: string, actor: string): Promise<Alert> {
    return this.#command(id, async (alert) => {
      if (alert.status === 'resolved') {
        throw new AlertError('INVALID_TRANSITION', `alert ${id} is resolved`);
      }

      const next = this.#core.escalation.manual(alert, this.#core.clock());
      const updated = { ...alert, escalation: next, updatedAt: this.#core.nowIso() };
      const detail = { target: next.target, manual: true };

      return this.#core.queue.transition(updated, 'escalated', actor, detail);
    });
  }

  /** Marks an alert (open or resolved) as not needing clinical action. */
  markNonActionable(id: string, actor: string, reason?: string): Promise<Alert> {
    return this.#command(id, (alert) => {
      const next = markNonActionable(alert, actor, this.#core.nowIso(), reason);

      return this.#core.queue.transition(next, 'marked-non-actionable', actor, { reason });
    });
  }

  #command(id: string, fn: (alert: Alert) => Promise<Alert>): Promise<Alert> {
    return this.#core.queue.run(async () => {
      const alert = this.#core.open.byId(id) ?? (await this.store.get(id));
      if (alert === undefined) {
        throw new AlertError('NOT_FOUND', `no alert ${id}`);
      }

      return fn(alert);
    });
  }

  // ---- settings (engine-settings.ts) -------------------------------------------------

  /**
   * Silences non-urgent alerts matching a unit or patient (optionally a rule and code)
   * until `endsAt`. Urgent alerts are never silenced.
   *
   * @throws {AlertError} `INVALID_SILENCE`.
   */
  silence(input: settings.SilenceInput, actor: string): Promise<Silence> {
    return settings.addSilence(this.#core, input, actor);
  }

  /** Silences in force now or later. */
  activeSilences(): Silence[] {
    const now = this.#core.clock();

    return this.#core.silences.filter((s) => Date.parse(s.endsAt) > now);
  }

  /** Ends a silence now. */
  endSilence(id: string, actor: string): Promise<boolean> {
    return settings.endSilence(this.#core, id, actor);
  }

  /** Places a patient in a care unit; alerts raised afterwards go to that unit's room. */
  setPatientUnit(patientId: string, unit: string, actor: string): Promise<void> {
    return settings.setPatientUnit(this.#core, patientId, unit, actor);
  }

  /** The care unit of a patient. */
  unitOf(patientId: string): string {
    return this.#core.unitOf(patientId);
  }

  /** Sets a patient's NEWS2 profile and conditions; re-scores at once. */
  setProfile(profile: PatientProfile, actor: string): Promise<PatientProfile> {
    return settings.setProfile(this.#core, profile, actor);
  }

  profileOf(patientId: string): PatientProfile {
    return this.#core.profileOf(patientId);
  }

  /**
   * Sets a device's expected cadence for the no-data rule, before or after it is first
   * seen (`null`: back to the rule's defaults). Resolves whether it has been seen yet.
   */
  setDeviceCadence(deviceId: string, cadenceMs: number | null, actor: string): Promise<boolean> {
    return settings.setDeviceCadence(this.#core, deviceId, cadenceMs, actor);
  }

  /** Creates or replaces a rule and applies it at once. */
  putRule(rule: Rule, actor: string): Promise<Rule> {
    return settings.putRule(this.#core, rule, actor);
  }

  deleteRule(id: string, actor: string): Promise<boolean> {
    return settings.deleteRule(this.#core, id, actor);
  }

  /** Sets a clinician's per-patient override (thresholds, durations, enabled). */
  setOverride(input: settings.OverrideInput, actor: string) {
    return settings.setOverride(this.#core, input, actor);
  }

  deleteOverride(ruleId: string, patientId: string, actor: string): Promise<boolean> {
    return settings.deleteOverride(this.#core, ruleId, patientId, actor);
  }

  // ---- queries -----------------------------------------------------------------------

  /** The rules in force, before per-patient overrides. */
  currentRules(): readonly Rule[] {
    return this.#core.ruleList;
  }

  /** An open alert from memory, else any alert from the database. */
  async get(id: string): Promise<Alert | undefined> {
    const alert = this.#core.open.byId(id) ?? (await this.store.get(id));

    return this.#core.withSilence(alert);
  }

  /** Open alerts, grouped per patient (most severe group first). */
  openByPatient(units?: string[]): Array<{ patientId: string; unit: string; alerts: Alert[] }> {
    const all = units === undefined || units.includes('*');
    const groups = new Map<string, Alert[]>();
    for (const a of this.#core.open.values()) {
      if (all || units.includes(a.unit)) {
        const shown = this.#core.withSilence(a) as Alert;
        groups.set(a.patientId, [...(groups.get(a.patientId) ?? []), shown]);
      }
    }
    const rank = (as: Alert[]) => Math.max(...as.map((a) => severityRank(a.severity)));

    return [...groups]
      .map(([patientId, alerts]) => ({ patientId, unit: alerts[0]?.unit ?? '', alerts }))
      .sort((x, y) => rank(y.alerts) - rank(x.alerts));
  }
}
