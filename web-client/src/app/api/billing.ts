import { listPatients } from './patients.js';
import { requestJson } from './http.js';

/** RPM treatment-management minutes of one patient in a month. */
export interface RpmMinutes {
  patientId: string;
  minutes: number;
  /** How many logged interactions make up the minutes. */
  entries: number;
}

/** One entry of the billing ledger's minutes (gateway/src/billing). */
interface MinutesEntry {
  id: string;
  minutes: number;
  kind?: string;
  day?: string;
}

/** The current month as `YYYY-MM`. */
export function currentMonth(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}

/** Adds up a month's ledger entries. */
export function sumMinutes(patientId: string, entries: readonly MinutesEntry[]): RpmMinutes {
  const minutes = entries.reduce((sum, e) => sum + e.minutes, 0);

  return { patientId, minutes: Math.round(minutes * 10) / 10, entries: entries.length };
}

/**
 * RPM minutes this month for each patient the signed-in clinician or nurse may see (the hub
 * narrows the Patient search by care team and unit), from `GET
 * /api/billing/patients/:id/minutes?month=`.
 */
export async function fetchRpmMinutes(month = currentMonth()): Promise<RpmMinutes[]> {
  const patients = await listPatients();
  const ids = patients.flatMap((p) => (p.id ? [p.id] : []));

  return Promise.all(
    ids.map(async (id) => {
      const entries = await requestJson<MinutesEntry[]>(
        `/api/billing/patients/${encodeURIComponent(id)}/minutes?month=${month}`,
      );

      return sumMinutes(id, Array.isArray(entries) ? entries : []);
    }),
  );
}
