import type { Database, Queryable } from '@sparkden/alerting';

import type { SqlParams } from '../fhir/search/sql-params.js';

/** One patient's care units, for syncing to the alerting engine. */
export interface PatientUnits {
  patientId: string;
  units: string[];
}

/**
 * Care relationships, read from the clinical data itself: a patient is in the units of its
 * Encounters' Locations plus any explicit mapping; a practitioner covers the Locations of
 * their PractitionerRoles; a clinician cares for the patients of the CareTeams and
 * Encounters they take part in while those are current (see {@link CURRENT_CARE_SQL}).
 * Unit ids are Location ids.
 *
 * @example
 * ```ts
 * const care = new CareDirectory(db);
 * await care.setPatientUnit('p1', 'ward-3');
 * const all = await care.listPatientUnits();
 * ```
 */
export class CareDirectory {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Puts a patient in a unit directly (admission without an Encounter resource). */
  async setPatientUnit(patientId: string, unit: string): Promise<void> {
    await this.#db.query(
      'insert into clinical.patient_units values ($1, $2) on conflict do nothing',
      [patientId, unit],
    );
  }

  /** Every patient with their units: what the hub syncs to the alerting engine. */
  async listPatientUnits(): Promise<PatientUnits[]> {
    const { rows } = await this.#db.query<{ patient_id: string; units: string[] }>(
      `select patient_id, array_agg(distinct unit order by unit) as units
       from (${PATIENT_UNITS}) u group by patient_id order by patient_id`,
    );

    return rows.map((r) => ({ patientId: r.patient_id, units: r.units }));
  }

  /** The units one patient is in. */
  async unitsOfPatient(patientId: string, q: Queryable = this.#db): Promise<string[]> {
    const { rows } = await q.query<{ unit: string }>(
      `select distinct unit from (${PATIENT_UNITS}) u where patient_id = $1`,
      [patientId],
    );

    return rows.map((r) => r.unit);
  }

  /** The units a practitioner covers through their PractitionerRoles. */
  async unitsOfPractitioner(practitionerId: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ unit: string }>(
      `select distinct substr(l.code, 10) as unit from clinical.search_index l
       where l.resource_type = 'PractitionerRole' and l.param = 'location'
         and l.id in (select p.id from clinical.search_index p
           where p.resource_type = 'PractitionerRole' and p.param = 'practitioner' and p.code = $1)`,
      [`Practitioner/${practitionerId}`],
    );

    return rows.map((r) => r.unit);
  }

  /** Whether a practitioner takes part in one of the patient's CareTeams or Encounters. */
  async hasCareRelationship(practitionerId: string, patientId: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      `select 1 from clinical.search_index i join clinical.resources r
         on r.resource_type = i.resource_type and r.id = i.id
       where i.resource_type in ('CareTeam', 'Encounter') and i.param = 'participant'
         and i.code = $1 and r.patient_id = $2 and not r.deleted and ${currentCare('r')}
       limit 1`,
      [`Practitioner/${practitionerId}`, patientId],
    );

    return rows.length > 0;
  }

  /** SQL: `r.patient_id` is a patient in one of `units`. */
  static inUnitsSql(sql: SqlParams, units: string[]): string {
    return `r.patient_id in (select patient_id from (${PATIENT_UNITS_PARAM(sql.add(units))}) u)`;
  }

  /** SQL: `r.patient_id` is a patient the practitioner has a care relationship with. */
  static caredForSql(sql: SqlParams, practitionerId: string): string {
    return `r.patient_id in (select c.patient_id from clinical.search_index ci join clinical.resources c
        on c.resource_type = ci.resource_type and c.id = ci.id
      where ci.resource_type in ('CareTeam', 'Encounter') and ci.param = 'participant'
        and ci.code = ${sql.add(`Practitioner/${practitionerId}`)} and not c.deleted
        and ${currentCare('c')})`;
  }
}

/** How long after a finished Encounter ends its participants keep access (follow-up). */
export const FINISHED_ENCOUNTER_WINDOW = '30 days';

/**
 * SQL over a `clinical.resources` alias: the CareTeam or Encounter still grants access. A
 * CareTeam must be `active` and its period not ended [FHIR R4 CareTeam.status: only
 * active teams are in effect]. An Encounter counts while planned or under way, and when
 * `finished` for {@link FINISHED_ENCOUNTER_WINDOW} after its period ends (its last update
 * when the period has no end); `cancelled`, `entered-in-error` and `unknown` never count
 * [FHIR R4 Encounter.status].
 */
export function currentCare(alias: string): string {
  const periodEnd = `(select max(d.hi) from clinical.search_index d where d.resource_type =
    ${alias}.resource_type and d.id = ${alias}.id and d.param = 'date')`;

  return `(case ${alias}.resource_type
    when 'CareTeam' then ${alias}.content->>'status' = 'active'
      and coalesce(${periodEnd} > now(), true)
    when 'Encounter' then ${alias}.content->>'status' in
      ('planned', 'arrived', 'triaged', 'in-progress', 'onleave')
      or (${alias}.content->>'status' = 'finished' and coalesce(nullif(${periodEnd},
        '9999-12-31T23:59:59.999Z'::timestamptz), ${alias}.last_updated)
        > now() - interval '${FINISHED_ENCOUNTER_WINDOW}')
    else false end)`;
}

const PATIENT_UNITS = `
  select patient_id, unit from clinical.patient_units
  union
  select e.patient_id, substr(i.code, 10) as unit from clinical.search_index i
    join clinical.resources e on e.resource_type = i.resource_type and e.id = i.id
  where i.resource_type = 'Encounter' and i.param = 'location' and not e.deleted
    and e.patient_id is not null and i.code like 'Location/%'`;

const PATIENT_UNITS_PARAM = (units: string) => `
  select patient_id, unit from clinical.patient_units where unit = any(${units}::text[])
  union
  select e.patient_id, substr(i.code, 10) from clinical.search_index i
    join clinical.resources e on e.resource_type = i.resource_type and e.id = i.id
  where i.resource_type = 'Encounter' and i.param = 'location' and not e.deleted
    and substr(i.code, 10) = any(${units}::text[])`;
