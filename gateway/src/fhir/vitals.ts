import {
  VITAL_CODES,
  findCodeByLoinc,
  loincFor,
  type GlucoseContext,
  type Observation as Reading,
} from '@sparkden/protocol';
import type { Queryable } from '@sparkden/alerting';

import { GatewayError } from '../errors.js';
import type { Resource } from './resource-types.js';

/**
 * One bound on a reading's value: `op` compares the value with `value` (in `unit`); `in`
 * and `out` take the range [`value`, `upper`).
 */
export interface ValueBound {
  op: '=' | '<>' | '>' | '<' | '>=' | '<=' | 'ap' | 'in' | 'out';
  value: number;
  upper?: number | undefined;
  /** A UCUM code the reading's unit must equal; any when absent. */
  unit?: string | undefined;
}

/** A filter on readings of the vitals store; every field narrows, absent ones do not. */
export interface VitalsFilter {
  patientId?: string | undefined;
  /** LOINC codes; any when absent. */
  loinc?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Reading statuses (`final`, `preliminary`, …), any of them. */
  status?: string[] | undefined;
  /** Each inner list is OR, the outer list AND [FHIR R4 search 3.1.1.5]. */
  value?: ValueBound[][] | undefined;
}

/** A query for readings of the vitals store: a filter and one page of it. */
export interface VitalsQuery extends VitalsFilter {
  /** At most this many, newest first (oldest first with `ascending`). */
  limit: number;
  ascending?: boolean | undefined;
  /** Keyset paging: only readings after this one in `(effectiveAt, id)` order (ascending). */
  after?: { effectiveAt: string; id: string } | undefined;
  /** Only readings the hub received after this instant (Bulk Data `_since`). */
  receivedAfter?: Date | undefined;
}

/** Read access to device readings (the alerting engine's vitals store). */
export interface VitalsSource {
  find(query: VitalsQuery): Promise<Reading[]>;
  /** How many readings match, counted by the store itself. */
  count(filter: VitalsFilter): Promise<number>;
  get(id: string): Promise<Reading | undefined>;
  /** The newest `max` readings of each LOINC code that match, newest first within a code. */
  latest(filter: VitalsFilter, max: number): Promise<Reading[]>;
}

/** Device-reading Observation ids carry this prefix, so they never clash with manual ones. */
export const VITALS_ID_PREFIX = 'vs-';

/**
 * Refuses a write to a device reading: it is device data, kept by the vitals store, and a
 * FHIR write would only shadow it [FHIR R4 http: 405 for an unsupported interaction].
 *
 * @throws {GatewayError} `METHOD_NOT_ALLOWED` for an `Observation/vs-…` id.
 */
export function checkNotReading(type: string, id: string): void {
  if (type === 'Observation' && id.startsWith(VITALS_ID_PREFIX)) {
    throw new GatewayError(
      'METHOD_NOT_ALLOWED',
      'Observation/vs-… is a device reading: device data is read-only here',
    );
  }
}

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const VITAL_SIGNS = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';

/**
 * Renders a device reading as a FHIR R4 vital-signs `Observation`: category vital-signs,
 * LOINC code (plus the IEEE 11073 MDC code), UCUM quantity, components for blood pressure,
 * the device, and quality flags as interpretation notes.
 *
 * @example
 * ```ts
 * const observation = toVitalSignsObservation(reading);
 * ```
 */
export function toVitalSignsObservation(reading: Reading): Resource {
  // The display follows the unit, as the LOINC code does (glucose mmol/L is 15074-8).
  const code = loincFor(reading.code, reading.unit);
  const coding: Record<string, unknown>[] = [
    { system: LOINC, code: reading.loinc, display: code.display },
  ];
  if (reading.mdc !== undefined) {
    coding.push({ system: 'urn:iso:std:iso:11073:10101', code: String(reading.mdc) });
  }
  const observation: Resource = {
    resourceType: 'Observation',
    id: `${VITALS_ID_PREFIX}${reading.id}`,
    meta: { profile: [VITAL_SIGNS], lastUpdated: reading.receivedAt, versionId: '1' },
    status: reading.status,
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding, text: code.display },
    subject: { reference: `Patient/${reading.patient}` },
    effectiveDateTime: reading.effectiveAt,
    issued: reading.receivedAt,
    device: { identifier: { value: reading.device.id }, display: reading.device.model },
  };
  Object.assign(observation, valueOf(reading, offScale(reading.interpretation)));
  const flag = offScale(reading.interpretation);
  if (flag !== undefined) {
    observation.interpretation = [{ coding: [{ system: INTERPRETATION, ...OFF_SCALE[flag] }] }];
  }
  if (reading.components !== undefined) {
    observation.component = reading.components.map((c) => ({
      code: { coding: [{ system: LOINC, code: c.loinc, display: VITAL_CODES[c.code].display }] },
      ...valueOf(c),
    }));
  }
  if (reading.context !== undefined) {
    observation.component = contextComponents(reading.context);
  }
  if (reading.quality.length > 0) {
    observation.note = reading.quality.map((q) => ({ text: `quality: ${q}` }));
  }

  return observation;
}

const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const OFF_SCALE = {
  '>': { code: '>', display: 'Off scale high' },
  '<': { code: '<', display: 'Off scale low' },
} as const;

// A meter past its range reports its limit and a flag: the value is above (`>`) or below
// (`<`) it, never equal [FHIR R4 Quantity.comparator; Bluetooth GSS 0x2A18 Sensor Status
// Annunciation: result too high / too low].
function offScale(interpretation: readonly string[] | undefined): '>' | '<' | undefined {
  return interpretation?.find((f): f is '>' | '<' => f === '>' || f === '<');
}

function valueOf(
  m: {
    value?: number | undefined;
    unit?: string | undefined;
    dataAbsentReason?: string | undefined;
  },
  comparator?: '>' | '<',
) {
  if (m.value !== undefined) {
    const quantity = { value: m.value, unit: m.unit, system: UCUM, code: m.unit };

    return { valueQuantity: comparator === undefined ? quantity : { ...quantity, comparator } };
  }
  if (m.dataAbsentReason !== undefined) {
    const system = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

    return { dataAbsentReason: { coding: [{ system, code: m.dataAbsentReason }] } };
  }

  return {};
}

const MDC = 'urn:iso:std:iso:11073:10101';
const quantity = (value: number, unit: string) => ({
  valueQuantity: { value, unit, system: UCUM, code: unit },
});
const concept = (text: string) => ({ valueCodeableConcept: { text } });
const named = (text: string) => ({ code: { text } });

/**
 * A glucose reading's context as `Observation.component`s [FHIR R4 Observation.component:
 * parts of one observation that share its subject, time and device]. The meal carries the
 * MDC code the HL7 Personal Health Device IG gives it [PHD IG: MDC_CTXT_GLU_MEAL 8417864],
 * HbA1c its LOINC code [LOINC 4548-4 Hemoglobin A1c/Hemoglobin.total in Blood]; the other
 * fields have no code we can vouch for, so they carry the Bluetooth GSS field name as text
 * only [FHIR R4 CodeableConcept.text] rather than a made-up code.
 */
function contextComponents(c: GlucoseContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (c.meal !== undefined) {
    const coding = [{ system: MDC, code: '8417864', display: 'MDC_CTXT_GLU_MEAL' }];
    out.push({ code: { coding, text: 'Meal' }, ...concept(c.meal) });
  }
  if (c.carbohydrate?.meal !== undefined) {
    out.push({ ...named('Carbohydrate meal'), ...concept(c.carbohydrate.meal) });
  }
  if (c.carbohydrate?.grams !== undefined) {
    out.push({ ...named('Carbohydrate'), ...quantity(c.carbohydrate.grams, 'g') });
  }
  if (c.tester !== undefined) {
    out.push({ ...named('Tester'), ...concept(c.tester) });
  }
  if (c.health !== undefined) {
    out.push({ ...named('Health'), ...concept(c.health) });
  }
  if (c.exercise !== undefined) {
    out.push({ ...named('Exercise duration'), ...quantity(c.exercise.durationS, 's') });
    out.push({ ...named('Exercise intensity'), ...quantity(c.exercise.intensityPercent, '%') });
  }
  if (c.medication?.kind !== undefined) {
    out.push({ ...named('Medication'), ...concept(c.medication.kind) });
  }
  if (c.medication?.mg !== undefined) {
    out.push({ ...named('Medication amount'), ...quantity(c.medication.mg, 'mg') });
  }
  if (c.medication?.mL !== undefined) {
    out.push({ ...named('Medication amount'), ...quantity(c.medication.mL, 'mL') });
  }
  if (c.hba1cPercent !== undefined) {
    const coding = [
      { system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
    ];
    out.push({ code: { coding, text: 'HbA1c' }, ...quantity(c.hba1cPercent, '%') });
  }

  return out;
}

/** Whether a LOINC code is one the vitals store holds. */
export function isVitalLoinc(loinc: string): boolean {
  return findCodeByLoinc(loinc) !== undefined;
}

interface ReadingRow {
  id: string;
  patient: string;
  device_id: string;
  device_model: string | null;
  transport: string;
  code: string;
  loinc: string;
  mdc: number | null;
  value: number | null;
  unit: string | null;
  data_absent_reason: string | null;
  components: unknown;
  effective_at: Date;
  received_at: Date;
  status: string;
  quality: string[];
  interpretation: string[] | null;
  context: unknown;
}

/** A jsonb column as PostgreSQL (an object) or PGlite (sometimes text) returns it. */
function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
}

/**
 * A {@link VitalsSource} over the alerting engine's `vitals.observation` table.
 * NOTE: reads that table's documented columns directly because `VitalsStore` offers no
 * per-reading query yet; swap for its reader once it has one.
 */
export function sqlVitalsSource(db: Queryable): VitalsSource {
  const toReading = (r: ReadingRow): Reading =>
    ({
      id: r.id,
      patient: r.patient,
      device: { id: r.device_id, model: r.device_model ?? undefined, transport: r.transport },
      code: r.code,
      loinc: r.loinc,
      mdc: r.mdc ?? undefined,
      value: r.value ?? undefined,
      unit: r.unit ?? undefined,
      dataAbsentReason: r.data_absent_reason ?? undefined,
      components: parseJson(r.components) ?? undefined,
      effectiveAt: new Date(r.effective_at).toISOString(),
      receivedAt: new Date(r.received_at).toISOString(),
      status: r.status,
      quality: r.quality,
      interpretation: r.interpretation ?? undefined,
      context: parseJson(r.context) ?? undefined,
    }) as Reading;

  const where = (q: VitalsFilter) => {
    const values: unknown[] = [
      q.patientId ?? null,
      q.loinc ?? null,
      q.from ?? null,
      q.to ?? null,
      q.status ?? null,
    ];
    const add = (v: unknown) => `$${values.push(v)}`;
    const conditions = [
      '($1::text is null or patient = $1)',
      '($2::text[] is null or loinc = any($2))',
      '($3::timestamptz is null or effective_at >= $3)',
      '($4::timestamptz is null or effective_at <= $4)',
      '($5::text[] is null or status = any($5))',
    ];
    for (const any of q.value ?? []) {
      const alternatives = any.map((b) => {
        const v = add(b.value);
        const range = () => `(value >= ${v}::float8 and value < ${add(b.upper)}::float8)`;
        const compare =
          b.op === 'ap'
            ? `value between ${v}::float8 * 0.9 and ${v}::float8 * 1.1`
            : b.op === 'in'
              ? range()
              : b.op === 'out'
                ? `not ${range()}`
                : `value ${b.op} ${v}::float8`;

        return b.unit === undefined ? compare : `(${compare} and unit = ${add(b.unit)})`;
      });
      conditions.push(alternatives.length === 0 ? 'false' : `(${alternatives.join(' or ')})`);
    }

    return { sql: conditions.join(' and '), values, add };
  };

  return {
    async find(q) {
      const { sql, values, add } = where(q);
      const extra: string[] = [];
      if (q.after !== undefined) {
        const at = add(q.after.effectiveAt);
        extra.push(`(effective_at, id) > (${at}::timestamptz, ${add(q.after.id)}::uuid)`);
      }
      if (q.receivedAfter !== undefined) {
        extra.push(`received_at > ${add(q.receivedAfter)}::timestamptz`);
      }
      const limit = add(q.limit);
      const { rows } = await db.query<ReadingRow>(
        `select * from vitals.observation where ${[sql, ...extra].join(' and ')}
         order by effective_at ${q.ascending === true ? 'asc' : 'desc'}, id limit ${limit}`,
        values,
      );

      return rows.map(toReading);
    },
    async count(q) {
      const { sql, values } = where(q);
      const { rows } = await db.query<{ n: number | string }>(
        `select count(*)::int8 as n from vitals.observation where ${sql}`,
        values,
      );

      return Number(rows[0]?.n ?? 0);
    },
    async latest(q, max) {
      const { sql, values, add } = where(q);
      const n = add(max);
      // [FHIR R4 Observation-lastn: the most recent `max` per code], ranked in the store.
      const { rows } = await db.query<ReadingRow>(
        `select * from (select *, row_number() over (partition by loinc
           order by effective_at desc, id) as lastn_rank from vitals.observation where ${sql}) x
         where lastn_rank <= ${n} order by loinc, effective_at desc, id`,
        values,
      );

      return rows.map(toReading);
    },
    async get(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) {
        return undefined;
      }
      const { rows } = await db.query<ReadingRow>(
        'select * from vitals.observation where id = $1',
        [id],
      );

      return rows[0] === undefined ? undefined : toReading(rows[0]);
    },
  };
}
