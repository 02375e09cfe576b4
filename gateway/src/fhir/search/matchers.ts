import type { FieldCipher } from '../../crypto/field-cipher.js';
import { GatewayError } from '../../errors.js';
import type { SearchParameter } from '../definitions.js';
import { normalizeReference, normalizeString, precisionRange } from '../index-values.js';
import { quantityRange } from './quantity-range.js';
import { escapeLike, type SqlParams } from './sql-params.js';

/** Everything a matcher needs about one parameter use. */
export interface MatchInput {
  type: string;
  code: string;
  param: SearchParameter;
  modifier: string | undefined;
  value: string;
  guarded: boolean;
  /** The index alias (`i`) the condition reads. */
  alias: string;
}

// [FHIR R4 search 3.1.1.4.1: prefixes eq ne gt lt ge le sa eb ap]
const PREFIX = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=[\d-])/;

function prefixed(value: string): [string, string] {
  const match = PREFIX.exec(value);

  return match === null ? ['eq', value] : [match[1], value.slice(2)];
}

function invalid(message: string): GatewayError {
  return new GatewayError('INVALID', message);
}

/**
 * The SQL condition that one value of one search parameter puts on an index row.
 *
 * @throws {GatewayError} `INVALID` for a malformed value or an unsupported modifier.
 */
export function matchCondition(cipher: FieldCipher, m: MatchInput, sql: SqlParams): string {
  const i = m.alias;
  switch (m.param.type) {
    case 'string':
      return matchString(cipher, m, sql);
    case 'uri':
      return `${i}.code = ${sql.add(m.value)}`;
    case 'token':
      return matchToken(cipher, m, sql);
    case 'reference':
      return matchReference(m, sql);
    case 'date':
      return matchDate(cipher, m, sql);
    case 'quantity':
    case 'number':
      return matchQuantity(m, sql);
    case undefined:
    default:
      throw invalid(`search parameter "${m.code}" is not supported`);
  }
}

function matchString(cipher: FieldCipher, m: MatchInput, sql: SqlParams): string {
  const value = normalizeString(m.value);
  if (m.guarded) {
    if (m.modifier === 'contains') {
      throw invalid(`"${m.code}:contains" is not supported on an encrypted field`);
    }

    return `${m.alias}.code = ${sql.add(cipher.indexToken(`${m.type}.${m.code}`, value))}`;
  }
  switch (m.modifier) {
    case undefined:
      return `${m.alias}.code like ${sql.add(`${escapeLike(value)}%`)}`;
    case 'exact':
      return `${m.alias}.code = ${sql.add(value)}`;
    case 'contains':
      return `${m.alias}.code like ${sql.add(`%${escapeLike(value)}%`)}`;
    default:
      throw invalid(`modifier ":${m.modifier}" is not supported for string parameters`);
  }
}

function matchToken(cipher: FieldCipher, m: MatchInput, sql: SqlParams): string {
  if (m.modifier !== undefined && m.modifier !== 'not') {
    throw invalid(`modifier ":${m.modifier}" is not supported for token parameters`);
  }

  const bar = m.value.indexOf('|');
  const system = bar < 0 ? undefined : m.value.slice(0, bar);
  const raw = bar < 0 ? m.value : m.value.slice(bar + 1);
  const code = m.guarded && raw !== '' ? cipher.indexToken(`${m.type}.${m.code}`, raw) : raw;
  const parts: string[] = [];
  if (system === '') {
    parts.push(`${m.alias}.sys is null`);
  } else if (system !== undefined) {
    parts.push(`${m.alias}.sys = ${sql.add(system)}`);
  }
  if (code !== '') {
    parts.push(`${m.alias}.code = ${sql.add(code)}`);
  }

  return parts.length === 0 ? 'true' : parts.join(' and ');
}

function matchReference(m: MatchInput, sql: SqlParams): string {
  const modifierType =
    m.modifier !== undefined && /^[A-Z]/.test(m.modifier) ? m.modifier : undefined;
  if (m.modifier !== undefined && modifierType === undefined) {
    throw invalid(`modifier ":${m.modifier}" is not supported for reference parameters`);
  }

  const value = normalizeReference(m.value);
  if (value.includes('/')) {
    return `${m.alias}.code = ${sql.add(value)}`;
  }
  const targets = modifierType !== undefined ? [modifierType] : (m.param.target ?? []);
  if (targets.length === 1) {
    return `${m.alias}.code = ${sql.add(`${targets[0]}/${value}`)}`;
  }

  return `${m.alias}.code like ${sql.add(`%/${escapeLike(value)}`)}`;
}

function matchDate(cipher: FieldCipher, m: MatchInput, sql: SqlParams): string {
  const [prefix, value] = prefixed(m.value);
  const range = precisionRange(value);
  if (range === undefined) {
    throw invalid(`"${m.code}" needs a FHIR date, got an invalid value`);
  }
  if (m.guarded) {
    if (prefix !== 'eq') {
      throw invalid(`"${m.code}" is encrypted: only exact dates can be searched`);
    }

    return `${m.alias}.code = ${sql.add(cipher.indexToken(`${m.type}.${m.code}`, value.slice(0, 10)))}`;
  }

  return dateCondition(prefix, `${m.alias}.lo`, `${m.alias}.hi`, range, sql);
}

/** The condition a date prefix puts on a stored [lo, hi] range [FHIR R4 search: date]. */
export function dateCondition(
  prefix: string,
  lo: string,
  hi: string,
  range: [string, string],
  sql: SqlParams,
): string {
  // Only the bounds a prefix uses become parameters: PostgreSQL rejects untyped unused ones.
  let fromP: string | undefined;
  let toP: string | undefined;
  const from = () => (fromP ??= `${sql.add(range[0])}::timestamptz`);
  const to = () => (toP ??= `${sql.add(range[1])}::timestamptz`);
  switch (prefix) {
    case 'eq':
      return `(${lo} >= ${from()} and ${hi} <= ${to()})`;
    case 'ne':
      return `not (${lo} >= ${from()} and ${hi} <= ${to()})`;
    case 'gt':
      return `${hi} > ${to()}`;
    case 'lt':
      return `${lo} < ${from()}`;
    // ge: the range above the value overlaps the target, or the value's range contains it;
    // le: likewise below. A target that only starts (or ends) inside the range is neither.
    case 'ge':
      return `(${hi} > ${to()} or (${lo} >= ${from()} and ${hi} <= ${to()}))`;
    case 'le':
      return `(${lo} < ${from()} or (${lo} >= ${from()} and ${hi} <= ${to()}))`;
    case 'sa':
      return `${lo} > ${to()}`;
    case 'eb':
      return `${hi} < ${from()}`;
    default:
      // ap: overlapping the searched range.
      return `(${lo} <= ${to()} and ${hi} >= ${from()})`;
  }
}

function matchQuantity(m: MatchInput, sql: SqlParams): string {
  const [prefix, rest] = prefixed(m.value);
  const [number, system, code] = rest.split('|');
  const range = quantityRange(number ?? '');
  if (number === undefined || range === undefined) {
    throw invalid(`"${m.code}" needs a number, got an invalid value`);
  }

  const parts = [numberCondition(`${m.alias}.num`, prefix, number, range, sql)];
  if (system !== undefined && system !== '') {
    parts.push(`${m.alias}.sys = ${sql.add(system)}`);
  }
  if (code !== undefined && code !== '') {
    parts.push(`${m.alias}.code = ${sql.add(code)}`);
  }

  return parts.join(' and ');
}

// [FHIR R4 search 3.1.1.4.2: number prefixes] `eq`/`ne` (and no prefix) use the range the
// value's precision implies; `sa`/`eb` start above or end below it; the rest compare.
function numberCondition(
  num: string,
  prefix: string,
  number: string,
  [lo, hi]: [string, string],
  sql: SqlParams,
): string {
  const inRange = () => `(${num} >= ${sql.add(lo)}::numeric and ${num} < ${sql.add(hi)}::numeric)`;
  const ops: Record<string, string> = { gt: '>', lt: '<', ge: '>=', le: '<=' };
  switch (prefix) {
    case 'eq':
      return inRange();
    case 'ne':
      return `not ${inRange()}`;
    case 'sa':
      return `${num} >= ${sql.add(hi)}::numeric`;
    case 'eb':
      return `${num} < ${sql.add(lo)}::numeric`;
    case 'ap': {
      const v = sql.add(number);

      return `${num} between ${v}::numeric * 0.9 and ${v}::numeric * 1.1`;
    }
    default:
      return `${num} ${ops[prefix] ?? '='} ${sql.add(number)}::numeric`;
  }
}
