import type { FieldCipher } from '../../crypto/field-cipher.js';
import { searchsetBundle, shapeResource, type Bundle } from '../bundle.js';
import type { FhirRequest } from '../context.js';
import { GatewayError } from '../../errors.js';
import { normalizeReference } from '../index-values.js';
import type { StoredRow } from '../repository.js';
import { patientIdOf, patientOf, type Resource, type ResourceType } from '../resource-types.js';
import type { FhirService } from '../service.js';
import type { VitalsSource } from '../vitals.js';
import { compileSearch, type CompiledSearch } from './compile.js';
import { includesOf } from './includes.js';
import { sourcedSearch } from './sourced.js';
import { findVitals } from './vitals-search.js';

/**
 * Runs a FHIR search for the caller: scope and role checks, the caller's patient
 * restriction folded into the SQL, Observation results merged with device readings,
 * `_include`, `_summary` and paging; one audit record per patient in the page, and one
 * `failure` (or `denied`) record when the search is refused.
 *
 * A search that merges device readings (an Observation search naming one patient) is in
 * date order (`-date` unless `_sort=date`); both sources count their matches in SQL and
 * give at most `_offset + _count` rows, so the total and the paging links are exact.
 *
 * @example
 * ```ts
 * const bundle = await runSearch(fhir, cipher, request, 'Observation', [['patient', 'p1']]);
 * ```
 */
export function runSearch(
  fhir: FhirService,
  cipher: FieldCipher,
  req: FhirRequest,
  typeName: string,
  entries: [string, string][],
): Promise<Bundle> {
  return fhir.withAudit(req, 'search', { resource: typeName }, async () => {
    const type = fhir.typeOf(typeName);
    try {
      fhir.policy.checkType(req.caller, type, 'search');
    } catch (error) {
      await fhir.record(req, 'search', type, undefined, 'denied');
      fhir.markAudited(error as object);
      throw error;
    }
    const source = fhir.sources.get(type);
    if (source !== undefined) {
      const found = await sourcedSearch(fhir, req, type, source, entries);
      await auditPage(
        fhir,
        req,
        type,
        found.page.map((r) => r.resource),
        found.total,
      );

      return found.bundle;
    }
    const patient = vitalsPatientOf(fhir, req, type, entries);
    const merged = patient !== undefined;
    const compiled = compileSearch(cipher, type, merged ? inDateOrder(entries) : entries);
    const restriction = await fhir.policy.searchRestriction(req.caller, type, compiled.sql);
    if (restriction !== undefined) {
      compiled.conditions.push(restriction);
    }

    const page = merged
      ? await mergedPage(fhir, req, compiled, patient, ascending(entries))
      : await manualPage(fhir, compiled);
    const includes = await includesOf(fhir, req, compiled, page.matches);
    await auditPage(fhir, req, type, [...page.matches, ...includes], page.total);

    const shape = (r: Resource) => shapeResource(r, compiled.summary, compiled.elements);

    return searchsetBundle({
      base: req.base,
      type,
      used: compiled.used,
      total: page.total,
      count: compiled.count,
      offset: compiled.offset,
      matches: compiled.summary === 'count' ? [] : page.matches.map(shape),
      includes: compiled.summary === 'count' ? [] : includes.map(shape),
    });
  });
}

interface Page {
  matches: Resource[];
  total: number;
}

async function manualPage(fhir: FhirService, c: CompiledSearch): Promise<Page> {
  const { rows, total } = await queryPage(fhir, c, c.offset, c.count);

  return { matches: rows.map((row) => fhir.repo.toResource(row)), total };
}

// Both sources give their first offset + count rows in the same order; the page is cut
// from their merge, and the total is the sum of both counts.
async function mergedPage(
  fhir: FhirService,
  req: FhirRequest,
  c: CompiledSearch,
  patientId: string,
  asc: boolean,
): Promise<Page> {
  const window = c.summary === 'count' ? 0 : c.offset + c.count;
  const manual = await queryPage(fhir, c, 0, window);
  const vitals = (await mayRead(fhir, req, patientId))
    ? await findVitals(fhir.vitals as VitalsSource, patientId, c.used, window, asc)
    : { readings: [], total: 0 };
  const order = (a: Resource, b: Resource) =>
    asc ? timeOf(a).localeCompare(timeOf(b)) : timeOf(b).localeCompare(timeOf(a));
  const matches = [...manual.rows.map((row) => fhir.repo.toResource(row)), ...vitals.readings]
    .sort(order)
    .slice(c.offset, c.offset + c.count);

  return { matches, total: manual.total + vitals.total };
}

async function queryPage(fhir: FhirService, c: CompiledSearch, offset: number, limit: number) {
  const where = ['r.resource_type = $1', 'not r.deleted', ...c.conditions].join(' and ');
  const db = fhir.repo.db;
  const counted = await db.query<{ n: number }>(
    `select count(*)::int8 as n from clinical.resources r where ${where}`,
    c.sql.values,
  );
  const total = Number(counted.rows[0]?.n ?? 0);
  if (limit === 0 || c.summary === 'count') {
    return { rows: [], total };
  }
  const params = [...c.sql.values, limit, offset];
  const n = c.sql.values.length;
  const { rows } = await db.query<StoredRow>(
    `select r.* from clinical.resources r where ${where} order by ${c.orderBy} limit $${n + 1} offset $${n + 2}`,
    params,
  );

  return { rows, total };
}

function timeOf(r: Resource): string {
  const at = r.effectiveDateTime ?? r.issued ?? r.meta?.lastUpdated;

  return typeof at === 'string' ? at : '';
}

/**
 * The one patient whose device readings join an Observation search, or `undefined` when
 * none do (another type, no vitals store, no patient or several).
 */
function vitalsPatientOf(
  fhir: FhirService,
  req: FhirRequest,
  type: string,
  entries: [string, string][],
): string | undefined {
  if (type !== 'Observation' || fhir.vitals === undefined) {
    return undefined;
  }
  const get = (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v);
  const refs = [...get('patient'), ...get('subject')].map((v) => normalizeReference(v));
  const named = refs.map((r) => patientIdOf(r.includes('/') ? r : `Patient/${r}`));
  if (named.length > 1 || named.some((id) => id === undefined)) {
    return undefined;
  }

  return named[0] ?? (req.caller.role === 'patient' ? req.caller.patientId : undefined);
}

// A patient the caller may not see contributes no readings; any other error travels.
async function mayRead(fhir: FhirService, req: FhirRequest, patientId: string): Promise<boolean> {
  try {
    await fhir.policy.checkPatient(req.caller, patientId);

    return true;
  } catch (error) {
    if (isDenial(error)) {
      return false;
    }
    throw error;
  }
}

function isDenial(error: unknown): boolean {
  return error instanceof GatewayError && error.code === 'FORBIDDEN';
}

function sortOf(entries: [string, string][]): string | undefined {
  return entries.find(([k]) => k === '_sort')?.[1];
}

function ascending(entries: [string, string][]): boolean {
  return sortOf(entries)?.split(',')[0] === 'date';
}

// A merge of two sources can only be cut into pages along one order both share: the date.
function inDateOrder(entries: [string, string][]): [string, string][] {
  const sort = sortOf(entries);
  if (sort === undefined) {
    return [...entries, ['_sort', '-date']];
  }
  const first = sort.split(',')[0];
  if (first !== 'date' && first !== '-date') {
    throw new GatewayError('INVALID', 'an Observation search with device readings sorts by date');
  }

  return entries;
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
  for (const p of patients) {
    const purpose = await purposeOf(fhir, req, type as ResourceType, p);
    await fhir.record(req, 'search', type, p, 'success', purpose, detail);
  }
}

// Under break-the-glass every patient a search touches gets its own `break-glass` record
// (the guard writes it) before the search record, as a read would.
async function purposeOf(
  fhir: FhirService,
  req: FhirRequest,
  type: ResourceType,
  patientId: string,
): Promise<string> {
  if (req.caller.breakGlass === undefined) {
    return 'TREAT';
  }

  return fhir.guard(req, 'search', type, type, patientId);
}
