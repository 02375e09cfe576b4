import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';

import { GatewayError } from '../../errors.js';
import { precisionRange } from '../index-values.js';
import { quantityRange } from './quantity-range.js';
import type { Resource } from '../resource-types.js';
import {
  toVitalSignsObservation,
  type ValueBound,
  type VitalsFilter,
  type VitalsSource,
  VITALS_ID_PREFIX,
} from '../vitals.js';

const LOINC = 'http://loinc.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const DATE_PREFIX = /^(eq|gt|ge|lt|le|sa|eb)/;
const QUANTITY_PREFIX = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=[\d-])/;
const OPS: Record<string, ValueBound['op']> = {
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  ap: 'ap',
};

/**
 * The most readings matched in memory when a search uses a parameter the vitals store
 * cannot filter on; a search past it is refused rather than answered with a wrong total.
 */
export const IN_MEMORY_LIMIT = 10_000;

/** One page of device readings and the exact number that match. */
export interface VitalsPage {
  readings: Resource[];
  total: number;
}

/**
 * Splits an Observation search of one patient into the filter the vitals store applies in
 * SQL (patient, `code`, `date`, `status`, `category`, `value-quantity`) and the
 * parameters left to match in memory.
 */
export function splitVitalsSearch(
  patientId: string,
  used: [string, string][],
): { filter: VitalsFilter; rest: [string, string][] } {
  const filter: VitalsFilter = { patientId };
  const rest: [string, string][] = [];
  const seen = new Set<string>();
  for (const [key, value] of used) {
    const repeated = seen.has(key);
    seen.add(key);
    // `_id` and `_lastUpdated` filter readings too: the store cannot, the matcher can.
    if (key === '_id' || key === '_lastUpdated') {
      rest.push([key, value]);
      continue;
    }
    if (key.startsWith('_') || key === 'patient' || key === 'subject') {
      continue;
    }
    if (!pushDown(filter, key, value, repeated)) {
      rest.push([key, value]);
    }
  }

  return { filter, rest };
}

function pushDown(filter: VitalsFilter, key: string, value: string, repeated: boolean): boolean {
  const values = value.split(',');
  switch (key) {
    case 'code': {
      if (repeated) {
        return false;
      }
      // Readings are coded in LOINC; a code of another system matches none.
      filter.loinc = values
        .filter((v) => !v.includes('|') || v.startsWith(`${LOINC}|`))
        .map((v) => v.split('|').pop() as string);

      return true;
    }
    case 'status':
      if (repeated) {
        return false;
      }
      filter.status = values;

      return true;
    case 'category':
      // Every reading is a vital sign; any other category is left to match (none) in memory.
      return values.some((v) => v === 'vital-signs' || v === `${CATEGORY}|vital-signs`);
    case 'date':
      return values.length === 1 && pushDate(filter, value);
    case 'value-quantity': {
      const bounds = values.map(boundOf);
      if (bounds.some((b) => b === undefined)) {
        return false;
      }
      filter.value = [...(filter.value ?? []), bounds as ValueBound[]];

      return true;
    }
    default:
      return false;
  }
}

// [FHIR R4 search: date prefixes] over the reading's effective instant.
function pushDate(filter: VitalsFilter, raw: string): boolean {
  const prefix = DATE_PREFIX.exec(raw)?.[1] ?? 'eq';
  const range = precisionRange(raw.replace(DATE_PREFIX, ''));
  if (range === undefined) {
    return false;
  }
  const later = (d: Date) => (filter.from === undefined || d > filter.from ? d : filter.from);
  const earlier = (d: Date) => (filter.to === undefined || d < filter.to ? d : filter.to);
  if (prefix === 'eq' || prefix === 'ge' || prefix === 'gt' || prefix === 'sa') {
    const from = prefix === 'eq' || prefix === 'ge' ? range[0] : range[1];
    filter.from = later(new Date(prefix === 'gt' || prefix === 'sa' ? plusOne(from) : from));
  }
  if (prefix === 'eq' || prefix === 'le' || prefix === 'lt' || prefix === 'eb') {
    const to = prefix === 'eq' || prefix === 'le' ? range[1] : range[0];
    filter.to = earlier(new Date(prefix === 'lt' || prefix === 'eb' ? minusOne(to) : to));
  }

  return true;
}

const plusOne = (iso: string) => new Date(new Date(iso).getTime() + 1).toISOString();
const minusOne = (iso: string) => new Date(new Date(iso).getTime() - 1).toISOString();

// [FHIR R4 search: quantity] `[prefix]number[|system|code]`; the store holds UCUM units.
function boundOf(raw: string): ValueBound | undefined {
  const prefix = QUANTITY_PREFIX.exec(raw)?.[1] ?? 'eq';
  const [number, system, code] = raw.replace(QUANTITY_PREFIX, '').split('|');
  const range = quantityRange(number ?? '');
  if (number === undefined || range === undefined) {
    return undefined;
  }
  const ucum = system === undefined || system === '' || system === 'http://unitsofmeasure.org';
  if (!ucum) {
    return undefined;
  }
  const unit = code === '' ? undefined : code;
  const [lo, hi] = range.map(Number) as [number, number];

  // [FHIR R4 search 3.1.1.4.2] eq/ne over the implied precision range; sa/eb beyond it.
  switch (prefix) {
    case 'eq':
      return { op: 'in', value: lo, upper: hi, unit };
    case 'ne':
      return { op: 'out', value: lo, upper: hi, unit };
    case 'sa':
      return { op: '>=', value: hi, unit };
    case 'eb':
      return { op: '<', value: lo, unit };
    default:
      return { op: OPS[prefix] ?? '=', value: Number(number), unit };
  }
}

/**
 * The device readings of one patient's Observation search: the exact total, and the
 * first `window` readings in date order. Filters run in the store's SQL; when a parameter
 * cannot, every candidate (at most {@link IN_MEMORY_LIMIT}) is matched in memory, so the
 * total and the page still count only matches.
 *
 * @throws {GatewayError} `INVALID` when an in-memory match would exceed the limit.
 */
export async function findVitals(
  source: VitalsSource,
  patientId: string,
  used: [string, string][],
  window: number,
  ascending: boolean,
): Promise<VitalsPage> {
  const ids = used.filter(([k]) => k === '_id').flatMap(([, v]) => v.split(','));
  if (ids.length > 0) {
    return byIds(source, patientId, used, ids, window, ascending);
  }
  const { filter, rest } = splitVitalsSearch(patientId, used);
  if (rest.length === 0) {
    const total = await source.count(filter);
    const found = window === 0 ? [] : await source.find({ ...filter, limit: window, ascending });

    return { total, readings: found.map(toVitalSignsObservation) };
  }

  const candidates = await source.find({ ...filter, limit: IN_MEMORY_LIMIT + 1, ascending });
  if (candidates.length > IN_MEMORY_LIMIT) {
    const names = rest.map(([k]) => k).join(', ');
    throw new GatewayError('INVALID', `narrow the search: ${names} over this many readings`);
  }
  const request = parseSearchRequest(`Observation?${new URLSearchParams(rest).toString()}`);
  const matched = candidates
    .map(toVitalSignsObservation)
    .filter((o) => matchesSearchRequest(o as never, request));

  return { total: matched.length, readings: matched.slice(0, window) };
}

// A search by `_id` reads the named readings, not the patient's whole series, and matches
// every other parameter in memory.
async function byIds(
  source: VitalsSource,
  patientId: string,
  used: [string, string][],
  ids: string[],
  window: number,
  ascending: boolean,
): Promise<VitalsPage> {
  const wanted = [...new Set(ids)].filter((id) => id.startsWith(VITALS_ID_PREFIX));
  const found = await Promise.all(
    wanted.map((id) => source.get(id.slice(VITALS_ID_PREFIX.length))),
  );
  const params = used.filter(
    ([k]) =>
      k === '_id' ||
      k === '_lastUpdated' ||
      (!k.startsWith('_') && k !== 'patient' && k !== 'subject'),
  );
  const request = parseSearchRequest(`Observation?${new URLSearchParams(params).toString()}`);
  const at = (o: Resource) => (typeof o.effectiveDateTime === 'string' ? o.effectiveDateTime : '');
  const matched = found
    .filter((r): r is NonNullable<typeof r> => r !== undefined && r.patient === patientId)
    .map(toVitalSignsObservation)
    .filter((o) => matchesSearchRequest(o as never, request))
    .sort((a, b) => (ascending ? at(a).localeCompare(at(b)) : at(b).localeCompare(at(a))));

  return { total: matched.length, readings: matched.slice(0, window) };
}
