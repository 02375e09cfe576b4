import { GatewayError } from '../../errors.js';
import { searchsetBundle, type Bundle } from '../bundle.js';
import type { FhirRequest } from '../context.js';
import { normalizeReference } from '../index-values.js';
import { patientIdOf, type ResourceType } from '../resource-types.js';
import type { FhirService } from '../service.js';
import type { FhirSource, SourcedResource } from '../sources.js';

/** The search parameters a sourced (financial) type takes [FHIR R4 Claim/EOB search]. */
export const SOURCED_PARAMS = ['patient', '_id', '_count', '_offset', '_summary'] as const;

const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;

/**
 * Searches a type another part keeps (see {@link FhirSource}) by `patient` and `_id`, with
 * `_count`/`_offset` paging and `_summary=count`. A caller who may not see every patient
 * must name one they may see; otherwise the search finds nothing, as any other would.
 * Returns the page and the patients in it, for the caller's audit records.
 */
export async function sourcedSearch(
  fhir: FhirService,
  req: FhirRequest,
  type: ResourceType,
  source: FhirSource,
  entries: [string, string][],
): Promise<{ bundle: Bundle; page: SourcedResource[]; total: number }> {
  const unknown = entries.find(([k]) => !(SOURCED_PARAMS as readonly string[]).includes(k));
  if (unknown !== undefined) {
    throw new GatewayError(
      'INVALID',
      `search parameter "${unknown[0]}" is not supported on ${type}`,
    );
  }
  const get = (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v);
  const patients = get('patient').map((v) => {
    const ref = normalizeReference(v);

    return patientIdOf(ref.includes('/') ? ref : `Patient/${ref}`);
  });
  if (patients.length > 1 || patients.some((p) => p === undefined)) {
    throw new GatewayError('INVALID', 'patient must name one Patient');
  }
  const count = Math.min(MAX_COUNT, Math.max(0, Number(get('_count')[0] ?? DEFAULT_COUNT) || 0));
  const offset = Math.max(0, Number(get('_offset')[0] ?? 0) || 0);
  const summaryCount = get('_summary')[0] === 'count';
  const ids = get('_id').flatMap((v) => v.split(','));

  const patientId = patients[0];
  const visible = await visibleTo(fhir, req, type, patientId);
  const found = visible
    ? await source.search(type, {
        patientId,
        ids: ids.length === 0 ? undefined : ids,
        count: summaryCount ? 0 : count,
        offset,
      })
    : { resources: [], total: 0 };
  const used = entries.filter(([k]) => k !== '_count' && k !== '_offset');
  const bundle = searchsetBundle({
    base: req.base,
    type,
    used,
    total: found.total,
    count,
    offset,
    matches: summaryCount ? [] : found.resources.map((r) => r.resource),
    includes: [],
  });

  return { bundle, page: found.resources, total: found.total };
}

async function visibleTo(
  fhir: FhirService,
  req: FhirRequest,
  type: ResourceType,
  patientId: string | undefined,
): Promise<boolean> {
  if (await fhir.policy.seesEveryPatient(req.caller, type)) {
    return true;
  }
  if (patientId === undefined) {
    return false;
  }

  // A patient the caller may not see finds nothing; any other error travels.
  try {
    await fhir.policy.checkPatient(req.caller, patientId);

    return true;
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
      return false;
    }
    throw error;
  }
}
