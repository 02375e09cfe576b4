import type { FieldCipher } from '../crypto/field-cipher.js';
import { GatewayError } from '../errors.js';
import type { FhirRequest } from './context.js';
import { normalizeReference } from './index-values.js';
import type { StoredRow } from './repository.js';
import { patientIdOf, type Resource } from './resource-types.js';
import { compileSearch } from './search/compile.js';
import { splitVitalsSearch } from './search/vitals-search.js';
import type { FhirService } from './service.js';
import { toVitalSignsObservation } from './vitals.js';

/** The search parameters `$lastn` passes on; paging and sorting are its own. */
const DROPPED = new Set(['max', '_count', '_offset', '_sort', '_include', '_summary']);

/**
 * `Observation/$lastn` for one patient [FHIR R4 Observation-lastn]: the newest `max`
 * Observations of each code, stored and device readings alike. Each source ranks per code
 * in SQL (a window over the search index, a window over the vitals store), so a code
 * whose newest value is old is never crowded out by a busy one. Writes one audit record.
 *
 * @example
 * ```ts
 * const latest = await lastN(fhir, cipher, request, [['patient', 'p1']], 1);
 * ```
 */
export function lastN(
  fhir: FhirService,
  cipher: FieldCipher,
  req: FhirRequest,
  entries: [string, string][],
  max: number,
): Promise<Resource[]> {
  const patientId = patientOfSearch(req, entries);
  const target = { resource: 'Observation/$lastn', patientId };

  return fhir.withAudit(req, 'search', target, async () => {
    const purpose = await fhir.guard(req, 'search', 'Observation', 'Observation', patientId);
    const kept = entries.filter(([k]) => !DROPPED.has(k));
    const compiled = compileSearch(cipher, 'Observation', [...kept, ['_sort', '-date']]);
    const where = [
      'r.resource_type = $1',
      'not r.deleted',
      `r.patient_id = ${compiled.sql.add(patientId)}`,
      ...compiled.conditions,
    ];
    const { rows } = await fhir.repo.db.query<StoredRow>(
      `select * from (select r.*, row_number() over (partition by ci.sys, ci.code
           order by ${compiled.orderBy}) as lastn_rank
         from clinical.resources r join clinical.search_index ci on ci.resource_type =
           r.resource_type and ci.id = r.id and ci.param = 'code'
         where ${where.join(' and ')}) x
       where lastn_rank <= ${compiled.sql.add(max)}`,
      compiled.sql.values,
    );
    const manual = rows.map((row) => fhir.repo.toResource(row));
    const readings = await latestReadings(fhir, patientId, compiled.used, max);
    const latest = newestPerCode([...manual, ...readings], max);
    await fhir.record(req, 'search', 'Observation', patientId, 'success', purpose, {
      operation: 'lastn',
      returned: latest.length,
    });

    return latest;
  });
}

async function latestReadings(
  fhir: FhirService,
  patientId: string,
  used: [string, string][],
  max: number,
): Promise<Resource[]> {
  if (fhir.vitals === undefined) {
    return [];
  }
  const { filter, rest } = splitVitalsSearch(patientId, used);
  if (rest.length > 0) {
    const names = rest.map(([k]) => k).join(', ');
    throw new GatewayError('INVALID', `$lastn takes code, category, date and status, not ${names}`);
  }

  return (await fhir.vitals.latest(filter, max)).map(toVitalSignsObservation);
}

function patientOfSearch(req: FhirRequest, entries: [string, string][]): string {
  const refs = entries
    .filter(([k]) => k === 'patient' || k === 'subject')
    .map(([, v]) => normalizeReference(v));
  const named = refs.map((r) => patientIdOf(r.includes('/') ? r : `Patient/${r}`));
  const patientId =
    named.length === 0 && req.caller.role === 'patient' ? req.caller.patientId : named[0];
  if (named.length > 1 || patientId === undefined) {
    throw new GatewayError('INVALID', '$lastn needs one patient');
  }

  return patientId;
}

function codeKey(resource: Resource): string {
  const code = resource.code as { coding?: { system?: string; code?: string }[] } | undefined;
  const coding = code?.coding?.[0];

  return `${coding?.system ?? ''}|${coding?.code ?? ''}`;
}

function timeOf(r: Resource): string {
  const at = r.effectiveDateTime ?? r.issued ?? r.meta?.lastUpdated;

  return typeof at === 'string' ? at : '';
}

// Merges both sources: per code, newest first, at most `max`; codes in a stable order.
function newestPerCode(resources: Resource[], max: number): Resource[] {
  const byCode = new Map<string, Map<string, Resource>>();
  for (const r of resources) {
    const group = byCode.get(codeKey(r)) ?? new Map<string, Resource>();
    group.set(r.id as string, r);
    byCode.set(codeKey(r), group);
  }

  return [...byCode.keys()]
    .sort()
    .flatMap((key) =>
      [...(byCode.get(key)?.values() ?? [])]
        .sort((a, b) => timeOf(b).localeCompare(timeOf(a)))
        .slice(0, max),
    );
}
