import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';

import type { FieldCipher } from '../../crypto/field-cipher.js';
import { searchsetBundle, shapeResource, type Bundle } from '../bundle.js';
import type { FhirRequest } from '../context.js';
import { normalizeReference, precisionRange } from '../index-values.js';
import type { StoredRow } from '../repository.js';
import { patientIdOf, patientOf, type Resource, type ResourceType } from '../resource-types.js';
import type { FhirService } from '../service.js';
import { toVitalSignsObservation, type VitalsQuery } from '../vitals.js';
import { compileSearch, type CompiledSearch } from './compile.js';

const LOINC = 'http://loinc.org';

/**
 * Runs a FHIR search for the caller: scope and role checks, the caller's patient
 * restriction folded into the SQL, Observation results merged with device readings,
 * `_include`, `_summary` and paging; one audit record per patient in the page.
 *
 * @example
 * ```ts
 * const bundle = await runSearch(fhir, cipher, request, 'Observation', [['patient', 'p1']]);
 * ```
 */
export async function runSearch(
  fhir: FhirService,
  cipher: FieldCipher,
  req: FhirRequest,
  typeName: string,
  entries: [string, string][],
): Promise<Bundle> {
  const type = fhir.typeOf(typeName);
  try {
    fhir.policy.checkType(req.caller, type, 'search');
  } catch (error) {
    await fhir.record(req, 'search', type, undefined, 'denied');
    throw error;
  }
  const compiled = compileSearch(cipher, type, entries);
  const restriction = await fhir.policy.searchRestriction(req.caller, type, compiled.sql);
  if (restriction !== undefined) {
    compiled.conditions.push(restriction);
  }

  const vitals = await vitalsFor(fhir, req, compiled, entries);
  const window = vitals === undefined ? compiled.count : compiled.offset + compiled.count;
  const { rows, total } = await queryPage(
    fhir,
    compiled,
    vitals === undefined ? compiled.offset : 0,
    window,
  );
  let matches = rows.map((row) => fhir.repo.toResource(row));
  let grandTotal = total;
  if (vitals !== undefined) {
    matches = [...matches, ...vitals]
      .sort((a, b) => timeOf(b).localeCompare(timeOf(a)))
      .slice(compiled.offset, compiled.offset + compiled.count);
    grandTotal += vitals.length;
  }
  const includes = await includesOf(fhir, req, compiled, matches);
  await auditPage(fhir, req, type, [...matches, ...includes], grandTotal);

  const shape = (r: Resource) => shapeResource(r, compiled.summary, compiled.elements);

  return searchsetBundle({
    base: req.base,
    type,
    used: compiled.used,
    total: grandTotal,
    count: compiled.count,
    offset: compiled.offset,
    matches: compiled.summary === 'count' ? [] : matches.map(shape),
    includes: compiled.summary === 'count' ? [] : includes.map(shape),
  });
}

async function queryPage(fhir: FhirService, c: CompiledSearch, offset: number, limit: number) {
  const where = ['r.resource_type = $1', 'not r.deleted', ...c.conditions].join(' and ');
  const db = fhir.repo.db;
  const counted = await db.query<{ n: number }>(
    `select count(*)::int8 as n from clinical.resources r where ${where}`,
    c.sql.values,
  );
  if (limit === 0 || c.summary === 'count') {
    return { rows: [], total: counted.rows[0]?.n ?? 0 };
  }
  const params = [...c.sql.values, limit, offset];
  const n = c.sql.values.length;
  const { rows } = await db.query<StoredRow>(
    `select r.* from clinical.resources r where ${where} order by ${c.orderBy} limit $${n + 1} offset $${n + 2}`,
    params,
  );

  return { rows, total: counted.rows[0]?.n ?? 0 };
}

function timeOf(r: Resource): string {
  const at = r.effectiveDateTime ?? r.issued ?? r.meta?.lastUpdated;

  return typeof at === 'string' ? at : '';
}

/** Device readings matching an Observation search of one patient, newest first. */
async function vitalsFor(
  fhir: FhirService,
  req: FhirRequest,
  c: CompiledSearch,
  entries: [string, string][],
): Promise<Resource[] | undefined> {
  if (c.type !== 'Observation' || fhir.vitals === undefined) {
    return undefined;
  }
  const get = (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v);
  const refs = [...get('patient'), ...get('subject')].map((v) => normalizeReference(v));
  const named = refs.map((r) => patientIdOf(r.includes('/') ? r : `Patient/${r}`));
  const patientId = named[0] ?? (req.caller.role === 'patient' ? req.caller.patientId : undefined);
  if (patientId === undefined || named.length > 1) {
    return undefined;
  }
  try {
    await fhir.policy.checkPatient(req.caller, patientId);
  } catch {
    return [];
  }

  const query: VitalsQuery = {
    patientId,
    limit: Math.min(1000, c.offset + c.count),
    ...dateWindow(get('date')),
  };
  const codes = get('code').flatMap((v) => v.split(','));
  if (codes.length > 0) {
    query.loinc = codes
      .filter((v) => !v.includes('|') || v.startsWith(`${LOINC}|`))
      .map((v) => v.split('|').pop() as string);
  }
  const readings = await fhir.vitals.find(query);
  // The patient is already applied by the query; the rest is matched in memory.
  const rest = c.used.filter(([k]) => !k.startsWith('_') && k !== 'patient' && k !== 'subject');
  const filter = parseSearchRequest(`Observation?${new URLSearchParams(rest).toString()}`);

  return readings
    .map(toVitalSignsObservation)
    .filter((o) => matchesSearchRequest(o as never, filter));
}

function dateWindow(values: string[]): Pick<VitalsQuery, 'from' | 'to'> {
  const window: Pick<VitalsQuery, 'from' | 'to'> = {};
  for (const raw of values) {
    const prefix = /^(eq|gt|ge|lt|le|sa|eb)/.exec(raw)?.[1] ?? 'eq';
    const range = precisionRange(raw.replace(/^(eq|gt|ge|lt|le|sa|eb)/, ''));
    if (range === undefined) {
      continue;
    }
    if (prefix === 'eq' || prefix === 'gt' || prefix === 'ge' || prefix === 'sa') {
      window.from = new Date(prefix === 'eq' || prefix === 'ge' ? range[0] : range[1]);
    }
    if (prefix === 'eq' || prefix === 'lt' || prefix === 'le' || prefix === 'eb') {
      window.to = new Date(prefix === 'eq' || prefix === 'le' ? range[1] : range[0]);
    }
  }

  return window;
}

async function includesOf(
  fhir: FhirService,
  req: FhirRequest,
  c: CompiledSearch,
  matches: Resource[],
): Promise<Resource[]> {
  if (c.include.length === 0 || matches.length === 0) {
    return [];
  }
  const ids = matches.map((m) => m.id as string);
  const { rows } = await fhir.repo.db.query<{ code: string }>(
    `select distinct code from clinical.search_index where resource_type = $1 and id = any($2::text[]) and param = any($3::text[])`,
    [c.type, ids, c.include.map((i) => i.param)],
  );
  const wanted = rows
    .map((r) => r.code.split('/') as [string, string])
    .filter(
      ([t]) =>
        c.include.every((i) => i.targetType === undefined) ||
        c.include.some((i) => i.targetType === t),
    );
  const included: Resource[] = [];
  for (const [t, id] of wanted) {
    const resource = await fhir.repo.read(t, id).catch(() => undefined);
    if (resource === undefined) {
      continue;
    }
    const allowed = await fhir
      .guard(req, 'read', t as ResourceType, `${t}/${id}`, patientOf(resource) ?? null)
      .then(
        () => true,
        () => false,
      );
    if (allowed) {
      included.push(resource);
    }
  }

  return included;
}

async function auditPage(
  fhir: FhirService,
  req: FhirRequest,
  type: string,
  resources: Resource[],
  total: number,
) {
  const patients = [
    ...new Set(resources.map((r) => patientOf(r)).filter((p): p is string => p !== undefined)),
  ];
  const detail = { total, returned: resources.length };
  if (patients.length === 0) {
    await fhir.record(req, 'search', type, undefined, 'success', 'TREAT', detail);

    return;
  }
  await Promise.all(
    patients.map((p) => fhir.record(req, 'search', type, p, 'success', 'TREAT', detail)),
  );
}
