import type { Database } from '../db/index.js';
import { checkOverride, RuleError } from './overrides.js';
import {
  defaultProfile,
  type Consciousness,
  type PatientProfile,
  type Rule,
  type RuleOverride,
} from './types.js';

/** One append-only record of a configuration change (rules, overrides, profiles, units). */
export interface ConfigChange {
  actor: string;
  action: string;
  entity: string;
  patientId?: string;
  detail: Record<string, unknown>;
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

const RULE_KINDS = [
  'threshold',
  'news2',
  'trend',
  'stale',
  'device-alarm',
  'device-flag',
  'device-status',
];

function checkRule(rule: Rule): void {
  if (typeof rule.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(rule.id)) {
    throw new RuleError('INVALID_RULE', '"id" must be lower-case letters, digits and dashes');
  }
  if (!RULE_KINDS.includes(rule.kind)) {
    throw new RuleError('INVALID_RULE', `"kind" must be one of ${RULE_KINDS.join(', ')}`);
  }
  if (rule.kind === 'threshold') {
    checkOverride(rule, {});
    if (!(rule.forMs >= 0 && rule.clearForMs >= 0 && rule.maxGapMs > 0)) {
      throw new RuleError('INVALID_RULE', '"forMs", "clearForMs" must be ≥ 0 and "maxGapMs" > 0');
    }
  }
  if (rule.kind === 'news2') {
    checkOverride(rule, {});
  }
}

/**
 * Rules, per-patient overrides and patient profiles in the `alerting` schema. Every change
 * also appends a row to `alerting.config_events`, in the same transaction.
 *
 * @example
 * ```ts
 * await rules.setOverride({ ruleId: 'spo2-low', patientId: 'p-1', params: { threshold: 85, clearAt: 88 } }, 'dr-7');
 * ```
 */
export class RuleStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Inserts the given rules that are not yet stored (a fresh hub's defaults). */
  async seed(rules: readonly Rule[], now: string): Promise<void> {
    for (const rule of rules) {
      await this.#db.query(
        `insert into alerting.rules (id, kind, definition, updated_by, updated_at)
         values ($1, $2, $3::jsonb, 'system', $4) on conflict (id) do nothing`,
        [rule.id, rule.kind, JSON.stringify(rule), now],
      );
    }
  }

  async rules(): Promise<Rule[]> {
    const { rows } = await this.#db.query<{ definition: unknown }>(
      'select definition from alerting.rules order by id',
    );

    return rows.map(
      (r) => (typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition) as Rule,
    );
  }

  /** Creates or replaces a rule (kind may not change). */
  async putRule(rule: Rule, actor: string, now: string): Promise<Rule> {
    checkRule(rule);

    await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ kind: string }>(
        'select kind from alerting.rules where id = $1',
        [rule.id],
      );
      if (rows[0] !== undefined && rows[0].kind !== rule.kind) {
        throw new RuleError('INVALID_RULE', `"kind" of ${rule.id} cannot change`);
      }
      await tx.query(
        `insert into alerting.rules (id, kind, definition, updated_by, updated_at)
         values ($1, $2, $3::jsonb, $4, $5)
         on conflict (id) do update set definition = excluded.definition,
           version = alerting.rules.version + 1, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at`,
        [rule.id, rule.kind, JSON.stringify(rule), actor, now],
      );
      await this.#record(tx, now, {
        actor,
        action: 'rule.put',
        entity: `Rule/${rule.id}`,
        detail: { rule },
      });
    });

    return rule;
  }

  async deleteRule(id: string, actor: string, now: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { rowCount } = await tx.query('delete from alerting.rules where id = $1', [id]);
      if (rowCount > 0) {
        await this.#record(tx, now, {
          actor,
          action: 'rule.delete',
          entity: `Rule/${id}`,
          detail: {},
        });
      }

      return rowCount > 0;
    });
  }

  async overrides(patientId?: string): Promise<RuleOverride[]> {
    const { rows } = await this.#db.query<Record<string, unknown>>(
      `select * from alerting.rule_overrides where ($1::text is null or patient_id = $1)
       order by patient_id, rule_id`,
      [patientId ?? null],
    );

    return rows.map((r) => ({
      ruleId: String(r.rule_id),
      patientId: String(r.patient_id),
      params: (typeof r.params === 'string' ? JSON.parse(r.params) : r.params) as Record<
        string,
        unknown
      >,
      setBy: String(r.set_by),
      setAt: iso(r.set_at),
      reason: (r.reason as string | null) ?? undefined,
    }));
  }

  /**
   * Sets a clinician's per-patient override of a rule.
   *
   * @throws {RuleError} `UNKNOWN_RULE`, or `INVALID_OVERRIDE` naming the bad field.
   */
  async setOverride(
    input: { ruleId: string; patientId: string; params: Record<string, unknown>; reason?: string },
    actor: string,
    now: string,
  ): Promise<RuleOverride> {
    const rule = (await this.rules()).find((r) => r.id === input.ruleId);
    if (rule === undefined) {
      throw new RuleError('UNKNOWN_RULE', `no rule ${input.ruleId}`);
    }
    checkOverride(rule, input.params);

    const override: RuleOverride = { ...input, setBy: actor, setAt: now };
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `insert into alerting.rule_overrides (rule_id, patient_id, params, set_by, set_at, reason)
         values ($1, $2, $3::jsonb, $4, $5, $6)
         on conflict (rule_id, patient_id) do update set params = excluded.params,
           set_by = excluded.set_by, set_at = excluded.set_at, reason = excluded.reason`,
        [
          input.ruleId,
          input.patientId,
          JSON.stringify(input.params),
          actor,
          now,
          input.reason ?? null,
        ],
      );
      await this.#record(tx, now, {
        actor,
        action: 'override.set',
        entity: `RuleOverride/${input.ruleId}`,
        patientId: input.patientId,
        detail: { params: input.params, reason: input.reason },
      });
    });

    return override;
  }

  async deleteOverride(
    ruleId: string,
    patientId: string,
    actor: string,
    now: string,
  ): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        'delete from alerting.rule_overrides where rule_id = $1 and patient_id = $2',
        [ruleId, patientId],
      );
      if (rowCount > 0) {
        await this.#record(tx, now, {
          actor,
          action: 'override.delete',
          entity: `RuleOverride/${ruleId}`,
          patientId,
          detail: {},
        });
      }

      return rowCount > 0;
    });
  }

  async profiles(): Promise<PatientProfile[]> {
    const { rows } = await this.#db.query<Record<string, unknown>>(
      'select * from alerting.patient_profiles',
    );

    return rows.map((r) => ({
      patientId: String(r.patient_id),
      spo2Scale: Number(r.spo2_scale) === 2 ? 2 : 1,
      onOxygen: Boolean(r.on_oxygen),
      consciousness: String(r.consciousness) as Consciousness,
      conditions: (r.conditions as string[] | null) ?? [],
    }));
  }

  /** Sets what a clinician recorded about a patient (SpO2 scale, oxygen, ACVPU, conditions). */
  async setProfile(profile: PatientProfile, actor: string, now: string): Promise<PatientProfile> {
    const p = { ...defaultProfile(profile.patientId), ...profile };
    if (!['A', 'C', 'V', 'P', 'U'].includes(p.consciousness) || ![1, 2].includes(p.spo2Scale)) {
      throw new TypeError('"consciousness" must be A, C, V, P or U and "spo2Scale" 1 or 2');
    }

    await this.#db.transaction(async (tx) => {
      await tx.query(
        `insert into alerting.patient_profiles
         (patient_id, spo2_scale, on_oxygen, consciousness, conditions, updated_by, updated_at)
         values ($1, $2, $3, $4, $5::text[], $6, $7)
         on conflict (patient_id) do update set spo2_scale = excluded.spo2_scale,
           on_oxygen = excluded.on_oxygen, consciousness = excluded.consciousness,
           conditions = excluded.conditions, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at`,
        [p.patientId, p.spo2Scale, p.onOxygen, p.consciousness, p.conditions, actor, now],
      );
      await this.#record(tx, now, {
        actor,
        action: 'profile.set',
        entity: `PatientProfile/${p.patientId}`,
        patientId: p.patientId,
        detail: {
          spo2Scale: p.spo2Scale,
          onOxygen: p.onOxygen,
          consciousness: p.consciousness,
          conditions: p.conditions,
        },
      });
    });

    return p;
  }

  /** Appends a configuration change to `alerting.config_events`. */
  record(change: ConfigChange, now: string): Promise<void> {
    return this.#record(this.#db, now, change);
  }

  async #record(q: Pick<Database, 'query'>, now: string, c: ConfigChange): Promise<void> {
    await q.query(
      `insert into alerting.config_events (at, actor, action, entity, patient_id, detail)
       values ($1, $2, $3, $4, $5, $6::jsonb)`,
      [now, c.actor, c.action, c.entity, c.patientId ?? null, JSON.stringify(c.detail)],
    );
  }
}
