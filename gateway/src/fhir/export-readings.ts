import type { ExportWriter } from './export-writer.js';
import { toVitalSignsObservation, type VitalsSource } from './vitals.js';

const PAGE = 1000;

/**
 * Writes each patient's device readings (the vitals store) to a bulk export as vital-signs
 * Observations, the same mapping a FHIR read gives, a page at a time in `(effective time,
 * id)` order. `since` keeps readings the hub received after it [Bulk Data Access 2.0:
 * `_since` is the time a resource was last changed on the server].
 *
 * @example
 * ```ts
 * await exportReadings(vitals, ['p1'], undefined, writer);
 * ```
 */
export async function exportReadings(
  vitals: VitalsSource,
  patients: readonly string[],
  since: Date | undefined,
  writer: ExportWriter,
): Promise<void> {
  for (const patientId of patients) {
    let after: { effectiveAt: string; id: string } | undefined;
    for (;;) {
      const page = await vitals.find({
        patientId,
        limit: PAGE,
        ascending: true,
        after,
        receivedAfter: since,
      });
      for (const reading of page) {
        await writer.add('Observation', toVitalSignsObservation(reading), reading.patient);
      }
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) {
        break;
      }
      after = { effectiveAt: last.effectiveAt, id: last.id };
    }
  }
}
