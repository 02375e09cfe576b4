import type { Database, Queryable } from '@sparkden/alerting';

import { assertDay } from '../coding/days.js';
import type { MinutesEntry, RpmEpisode, VisitEnded } from '../coding/inputs.js';

interface MinutesRow {
  id: string;
  patient_id: string;
  clinician_id: string;
  occurred_at: Date | string;
  day: string;
  minutes: string | number;
  kind: MinutesEntry['kind'];
  interaction_evidence: string | null;
  visit_id: string | null;
  billed_separately: boolean;
}

interface VisitRow {
  visit_id: string;
  patient_id: string;
  clinician_id: string;
  started_at: Date | string;
  ended_at: Date | string;
  duration_minutes: string | number;
  video: boolean;
  patient_location: 'home' | 'other';
  new_patient: boolean;
}

async function insertMinutes(db: Queryable, e: MinutesEntry): Promise<void> {
  assertDay(e.day, 'day');
  if (!(e.minutes > 0 && e.minutes <= 1440)) {
    throw new TypeError('"minutes" must be > 0 and <= 1440');
  }

  await db.query(
    `insert into billing.minutes (id, patient_id, clinician_id, occurred_at, day, minutes, kind,
       interaction_evidence, visit_id, billed_separately)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (id) do nothing`,
    [
      e.id,
      e.patientId,
      e.clinicianId,
      e.occurredAt,
      e.day,
      e.minutes,
      e.kind,
      e.interactionEvidence ?? null,
      e.visitId ?? null,
      e.billedSeparately ?? false,
    ],
  );
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/**
 * The inputs billing keeps itself: RPM episodes, the treatment-management minutes ledger
 * and the visits the SFU reported, all in the `billing` schema.
 *
 * @example
 * ```ts
 * await store.ledger.addMinutes(entry);
 * const month = await store.ledger.listMinutes('p1', '2026-03-01', '2026-03-31');
 * ```
 */
export class LedgerStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Records an RPM episode (idempotent on its id). */
  async addEpisode(e: RpmEpisode): Promise<void> {
    assertDay(e.start, 'start');
    if (e.end !== undefined) {
      assertDay(e.end, 'end');
    }

    await this.#db.query(
      `insert into billing.episodes (id, patient_id, start_day, end_day) values ($1, $2, $3, $4)
       on conflict (id) do update set end_day = excluded.end_day`,
      [e.id, e.patientId, e.start, e.end ?? null],
    );
  }

  /** Episodes of one patient, oldest first. */
  async listEpisodes(patientId: string): Promise<RpmEpisode[]> {
    const { rows } = await this.#db.query<{
      id: string;
      patient_id: string;
      start_day: string;
      end_day: string | null;
    }>(
      `select id, patient_id, start_day::text, end_day::text from billing.episodes
       where patient_id = $1 order by start_day`,
      [patientId],
    );

    return rows.map((r) => ({
      id: r.id,
      patientId: r.patient_id,
      start: r.start_day,
      end: r.end_day ?? undefined,
    }));
  }

  /** Adds one ledger entry (idempotent on its id). */
  async addMinutes(e: MinutesEntry): Promise<void> {
    await insertMinutes(this.#db, e);
  }

  /**
   * Replaces, in one transaction, the entries of one patient between two days (inclusive)
   * whose id starts with `prefix` by `entries` (derived ones, recomputed from their source).
   */
  async replaceMinutes(
    patientId: string,
    from: string,
    to: string,
    prefix: string,
    entries: readonly MinutesEntry[],
  ): Promise<void> {
    assertDay(from, 'from');
    assertDay(to, 'to');
    if (prefix.length === 0 || entries.some((e) => !e.id.startsWith(prefix))) {
      throw new TypeError(`every entry id must start with "prefix" (${prefix})`);
    }

    await this.#db.transaction(async (tx) => {
      await tx.query(
        `delete from billing.minutes
          where patient_id = $1 and day between $2 and $3 and starts_with(id, $4)`,
        [patientId, from, to, prefix],
      );
      for (const e of entries.filter((x) => x.day >= from && x.day <= to)) {
        await insertMinutes(tx, e);
      }
    });
  }

  /** Ledger entries of one patient between two days, inclusive. */
  async listMinutes(patientId: string, from: string, to: string): Promise<MinutesEntry[]> {
    const { rows } = await this.#db.query<MinutesRow>(
      `select id, patient_id, clinician_id, occurred_at, day::text, minutes, kind,
         interaction_evidence, visit_id, billed_separately
       from billing.minutes where patient_id = $1 and day between $2 and $3 order by occurred_at`,
      [patientId, from, to],
    );

    return rows.map((r) => ({
      id: r.id,
      patientId: r.patient_id,
      clinicianId: r.clinician_id,
      occurredAt: iso(r.occurred_at),
      day: r.day,
      minutes: Number(r.minutes),
      kind: r.kind,
      interactionEvidence: r.interaction_evidence ?? undefined,
      visitId: r.visit_id ?? undefined,
      billedSeparately: r.billed_separately,
    }));
  }

  /** Records a visit the SFU reported as ended (idempotent on the visit id). */
  async recordVisit(v: VisitEnded): Promise<void> {
    if (!(v.durationMinutes >= 0)) {
      throw new TypeError('"durationMinutes" must be >= 0');
    }

    await this.#db.query(
      `insert into billing.visits (visit_id, patient_id, clinician_id, started_at, ended_at,
         duration_minutes, video, patient_location, new_patient)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (visit_id) do nothing`,
      [
        v.visitId,
        v.patientId,
        v.clinicianId,
        v.startedAt,
        v.endedAt,
        v.durationMinutes,
        v.video,
        v.patientLocation,
        v.newPatient,
      ],
    );
  }

  /** Visits of one patient that started between two days, inclusive. */
  async listVisits(patientId: string, from: string, to: string): Promise<VisitEnded[]> {
    const { rows } = await this.#db.query<VisitRow>(
      `select * from billing.visits
       where patient_id = $1 and started_at >= $2::date and started_at < $3::date + 1 order by started_at`,
      [patientId, from, to],
    );

    return rows.map((r) => ({
      visitId: r.visit_id,
      patientId: r.patient_id,
      clinicianId: r.clinician_id,
      startedAt: iso(r.started_at),
      endedAt: iso(r.ended_at),
      durationMinutes: Number(r.duration_minutes),
      video: r.video,
      patientLocation: r.patient_location,
      newPatient: r.new_patient,
    }));
  }
}
