import { evalFhirPathTyped, toTypedValue } from '@medplum/core';

import type { FieldCipher } from '../crypto/field-cipher.js';
import { searchParametersOf, type SearchParameter } from './definitions.js';
import { isPersonType } from './protect.js';
import type { Resource } from './resource-types.js';

/** One row of the search index. */
export interface IndexEntry {
  param: string;
  sys: string | null;
  code: string | null;
  num: number | null;
  lo: string | null;
  hi: string | null;
}

/** The search parameter types the index serves. */
export const INDEXED_TYPES = ['string', 'token', 'reference', 'date', 'quantity', 'number', 'uri'];

const PROTECTED = /\.(name|birthDate|identifier|telecom|address)\b/;
const MAX_PREFIX = 24;

/**
 * Whether a parameter of `type` reads an identifying field, so its index holds keyed
 * HMAC tokens instead of values (exact or starts-with matches only).
 */
export function isProtectedParam(type: string, param: SearchParameter): boolean {
  return isPersonType(type) && PROTECTED.test(param.expression ?? '');
}

/** Lower-cases and strips accents: FHIR string search is case- and accent-insensitive. */
export function normalizeString(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

/** Extracts every index entry of `resource` for the searchable parameters of its type. */
export function indexEntriesOf(cipher: FieldCipher, resource: Resource): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const params = searchParametersOf(resource.resourceType);
  const typed = [toTypedValue(resource)];
  for (const [code, param] of Object.entries(params)) {
    if (code.startsWith('_') || !INDEXED_TYPES.includes(param.type ?? '') || !param.expression) {
      continue;
    }
    const values = evalFhirPathTyped(param.expression, typed);
    const guard = isProtectedParam(resource.resourceType, param);
    for (const value of values) {
      const raw = entriesOf(code, param.type as string, value.type, value.value);
      entries.push(
        ...(guard ? raw.flatMap((e) => protect(cipher, resource.resourceType, e)) : raw),
      );
    }
  }

  return entries;
}

/**
 * The references one reference parameter of `resource` holds (`Patient/p1`), read from
 * the resource itself with the parameter's FHIRPath: what `_include` follows.
 */
export function referencesOf(resource: Resource, code: string): string[] {
  const param = searchParametersOf(resource.resourceType)[code];
  if (param?.type !== 'reference' || param.expression === undefined) {
    return [];
  }

  return evalFhirPathTyped(param.expression, [toTypedValue(resource)]).flatMap((v) =>
    referenceOf(v.value),
  );
}

function protect(cipher: FieldCipher, type: string, entry: IndexEntry): IndexEntry[] {
  const scope = `${type}.${entry.param}`;
  if (entry.lo !== null) {
    // A birth date is matched exactly: its clear range is not kept.
    const token = cipher.indexToken(scope, entry.lo.slice(0, 10));

    return [{ ...entry, code: token, lo: null, hi: null }];
  }
  if (entry.code === null) {
    return [];
  }
  const value = entry.code;
  if (entry.sys === 'string') {
    // [FHIR R4 search: string matches starts-with] every prefix gets its own token.
    const prefixes = Array.from({ length: Math.min(value.length, MAX_PREFIX) }, (_, i) =>
      value.slice(0, i + 1),
    );

    return prefixes.map((p) => ({ ...entry, code: cipher.indexToken(scope, p) }));
  }

  return [{ ...entry, code: cipher.indexToken(scope, value) }];
}

const blank = (param: string): IndexEntry => ({
  param,
  sys: null,
  code: null,
  num: null,
  lo: null,
  hi: null,
});

function entriesOf(param: string, kind: string, type: string, value: unknown): IndexEntry[] {
  switch (kind) {
    case 'string':
      return stringsOf(value).map((s) => ({
        ...blank(param),
        sys: 'string',
        code: normalizeString(s),
      }));
    case 'uri':
      return typeof value === 'string' ? [{ ...blank(param), code: value }] : [];
    case 'token':
      return tokensOf(type, value).map(([sys, code]) => ({ ...blank(param), sys, code }));
    case 'reference':
      return referenceOf(value).map((ref) => ({ ...blank(param), code: ref }));
    case 'date': {
      const range = dateRangeOf(type, value);

      return range === undefined ? [] : [{ ...blank(param), lo: range[0], hi: range[1] }];
    }
    case 'quantity':
    case 'number':
      return quantityOf(value).map(([num, sys, code]) => ({ ...blank(param), num, sys, code }));
    default:
      return [];
  }
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  if (value === null || typeof value !== 'object') {
    return [];
  }
  // HumanName, Address and the like: every string part is searchable.
  return Object.entries(value as Record<string, unknown>)
    .filter(([k]) => k !== 'use' && k !== 'period' && k !== 'extension')
    .flatMap(([, v]): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]))
    .filter((v): v is string => typeof v === 'string');
}

type Coding = { system?: string; code?: string; value?: string };

function tokensOf(type: string, value: unknown): [string | null, string][] {
  if (typeof value === 'string' || typeof value === 'boolean') {
    return [[null, String(value)]];
  }
  const v = (value ?? {}) as Coding & { coding?: Coding[] };
  switch (type) {
    case 'CodeableConcept':
      return (v.coding ?? [])
        .filter((c) => c.code)
        .map((c) => [c.system ?? null, c.code as string]);
    case 'Identifier':
    case 'ContactPoint':
      return v.value === undefined ? [] : [[v.system ?? null, v.value]];
    default:
      return v.code === undefined ? [] : [[v.system ?? null, v.code]];
  }
}

/** `http://x/fhir/Patient/1/_history/2` or `Patient/1` → `Patient/1`. */
export function normalizeReference(reference: string): string {
  const match = /([A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);

  return match?.[1] ?? reference;
}

function referenceOf(value: unknown): string[] {
  const reference = (value as { reference?: unknown } | undefined)?.reference;

  return typeof reference === 'string' ? [normalizeReference(reference)] : [];
}

function quantityOf(value: unknown): [number, string | null, string | null][] {
  if (typeof value === 'number') {
    return [[value, null, null]];
  }
  const q = (value ?? {}) as { value?: number; system?: string; code?: string; unit?: string };

  return typeof q.value === 'number' ? [[q.value, q.system ?? null, q.code ?? q.unit ?? null]] : [];
}

/** The instant range a FHIR date, dateTime, instant or Period covers [FHIR R4 search: date]. */
export function dateRangeOf(type: string, value: unknown): [string, string] | undefined {
  if (type === 'Period') {
    const p = value as { start?: string; end?: string };
    const lo = p.start === undefined ? undefined : precisionRange(p.start)?.[0];
    const hi = p.end === undefined ? undefined : precisionRange(p.end)?.[1];

    return lo === undefined && hi === undefined
      ? undefined
      : [lo ?? '0001-01-01T00:00:00.000Z', hi ?? '9999-12-31T23:59:59.999Z'];
  }

  return typeof value === 'string' ? precisionRange(value) : undefined;
}

/** `2024` → the whole year; `2024-05-03` → that day; a full time → that millisecond. */
export function precisionRange(value: string): [string, string] | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      value,
    );
  if (m === null) {
    return undefined;
  }
  const [, y, mo, d, h] = m;
  if (h !== undefined) {
    const at = new Date(value.length === 16 ? `${value}:00Z` : value);
    if (Number.isNaN(at.getTime())) {
      return undefined;
    }
    const end =
      m[6] === undefined
        ? new Date(at.getTime() + 59_999)
        : new Date(at.getTime() + (m[7] ? 0 : 999));

    return [at.toISOString(), end.toISOString()];
  }
  const start = new Date(Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1)));
  const next = new Date(start);
  if (d !== undefined) {
    next.setUTCDate(next.getUTCDate() + 1);
  } else if (mo !== undefined) {
    next.setUTCMonth(next.getUTCMonth() + 1);
  } else {
    next.setUTCFullYear(next.getUTCFullYear() + 1);
  }

  return [start.toISOString(), new Date(next.getTime() - 1).toISOString()];
}
