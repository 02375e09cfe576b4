import type { FieldCipher } from '../../crypto/field-cipher.js';
import { GatewayError } from '../../errors.js';
import { searchParametersOf, type SearchParameter } from '../definitions.js';
import { INDEXED_TYPES, isProtectedParam, precisionRange } from '../index-values.js';
import { dateCondition, matchCondition } from './matchers.js';
import { SqlParams } from './sql-params.js';

/** A search, compiled to SQL conditions over `clinical.resources r`. */
export interface CompiledSearch {
  type: string;
  conditions: string[];
  sql: SqlParams;
  count: number;
  offset: number;
  orderBy: string;
  include: { sourceType: string; param: string; targetType?: string }[];
  summary: 'true' | 'false' | 'count' | 'data' | 'text';
  elements: string[] | undefined;
  /** The parameters that shaped the result, for the Bundle's self link. */
  used: [string, string][];
}

const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;
const CONTROL = new Set([
  '_count',
  '_offset',
  '_sort',
  '_include',
  '_summary',
  '_elements',
  '_total',
  '_format',
  '_pretty',
]);

function invalid(message: string): GatewayError {
  return new GatewayError('INVALID', message);
}

/**
 * Compiles FHIR search parameters for `type` into SQL: each parameter is an `exists` over
 * the search index, comma-separated values are OR, repeated parameters AND
 * [FHIR R4 search 3.1.1.5]. One level of chaining on reference parameters is supported
 * (`patient.name=…`, `subject:Patient.identifier=…`). Unknown parameters are an error.
 *
 * @example
 * ```ts
 * const compiled = compileSearch(cipher, 'Observation', [['patient', 'p1'], ['_count', '10']]);
 * ```
 */
export function compileSearch(
  cipher: FieldCipher,
  type: string,
  entries: [string, string][],
): CompiledSearch {
  const sql = new SqlParams();
  sql.add(type);
  const compiled: CompiledSearch = {
    type,
    conditions: [],
    sql,
    count: DEFAULT_COUNT,
    offset: 0,
    orderBy: 'r.last_updated desc, r.id',
    include: [],
    summary: 'false',
    elements: undefined,
    used: [],
  };
  const params = searchParametersOf(type);

  for (const [key, value] of entries) {
    if (CONTROL.has(key)) {
      applyControl(compiled, params, key, value);
      continue;
    }
    compiled.conditions.push(conditionFor(cipher, type, params, key, value, sql));
    compiled.used.push([key, value]);
  }

  return compiled;
}

function applyControl(
  c: CompiledSearch,
  params: Record<string, SearchParameter>,
  key: string,
  value: string,
): void {
  switch (key) {
    case '_count':
      c.count = Math.min(MAX_COUNT, Math.max(0, Number.parseInt(value, 10) || 0));
      break;
    case '_offset':
      c.offset = Math.max(0, Number.parseInt(value, 10) || 0);
      return;
    case '_sort':
      c.orderBy = sortClause(c, params, value);
      break;
    case '_include': {
      const [sourceType, param, targetType] = value.split(':');
      if (sourceType !== c.type || param === undefined || params[param]?.type !== 'reference') {
        throw invalid(`_include must name a reference parameter of ${c.type}`);
      }
      c.include.push({ sourceType, param, ...(targetType === undefined ? {} : { targetType }) });
      break;
    }
    case '_summary':
      if (!['true', 'false', 'count', 'data', 'text'].includes(value)) {
        throw invalid('_summary must be true, false, count, data or text');
      }
      c.summary = value as CompiledSearch['summary'];
      break;
    case '_elements':
      c.elements = value.split(',').map((e) => e.trim());
      break;
    default:
      return;
  }
  c.used.push([key, value]);
}

function sortClause(c: CompiledSearch, params: Record<string, SearchParameter>, value: string) {
  const parts = value.split(',').map((raw) => {
    const desc = raw.startsWith('-');
    const code = desc ? raw.slice(1) : raw;
    const dir = desc ? 'desc' : 'asc';
    if (code === '_id') {
      return `r.id ${dir}`;
    }
    if (code === '_lastUpdated') {
      return `r.last_updated ${dir}`;
    }
    const param = params[code];
    const column =
      param?.type === 'date'
        ? desc
          ? 'max(s.hi)'
          : 'min(s.lo)'
        : param?.type === 'string'
          ? 'min(s.code)'
          : param?.type === 'quantity' || param?.type === 'number'
            ? 'min(s.num)'
            : undefined;
    if (column === undefined || isProtectedParam(c.type, param)) {
      throw invalid(`cannot sort by "${code}"`);
    }
    // Inlined, not a parameter: the count query shares the parameters but not the ORDER BY.
    // `code` is a key of the R4 parameter table, so it is one of [a-z0-9-].
    const p = `'${code.replace(/[^a-z0-9-]/g, '')}'`;

    return `(select ${column} from clinical.search_index s where s.resource_type = r.resource_type and s.id = r.id and s.param = ${p}) ${dir} nulls last`;
  });

  return [...parts, 'r.id'].join(', ');
}

function conditionFor(
  cipher: FieldCipher,
  type: string,
  params: Record<string, SearchParameter>,
  key: string,
  value: string,
  sql: SqlParams,
): string {
  if (key === '_id') {
    return `r.id = any(${sql.add(value.split(','))}::text[])`;
  }
  if (key === '_lastUpdated') {
    const prefix = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)/.exec(value)?.[1] ?? 'eq';
    const range = precisionRange(value.slice(prefix === 'eq' && !value.startsWith('eq') ? 0 : 2));
    if (range === undefined) {
      throw invalid('_lastUpdated needs a FHIR date');
    }

    return dateCondition(prefix, 'r.last_updated', 'r.last_updated', range, sql);
  }

  const dot = key.indexOf('.');
  const head = dot < 0 ? key : key.slice(0, dot);
  const [code, modifier] = head.split(':') as [string, string | undefined];
  const param = params[code];
  if (param === undefined || !INDEXED_TYPES.includes(param.type ?? '')) {
    throw invalid(`unknown or unsupported search parameter "${code}" for ${type}`);
  }
  if (dot >= 0) {
    return chainCondition(cipher, type, param, code, modifier, key.slice(dot + 1), value, sql);
  }

  const not = modifier === 'not';
  const guarded = isProtectedParam(type, param);
  const alternatives = splitValues(value).map((v) =>
    matchCondition(cipher, { type, code, param, modifier, value: v, guarded, alias: 'i' }, sql),
  );
  const exists = `exists (select 1 from clinical.search_index i where i.resource_type = r.resource_type and i.id = r.id and i.param = ${sql.add(code)} and (${alternatives.join(' or ')}))`;

  return not ? `not ${exists}` : exists;
}

function chainCondition(
  cipher: FieldCipher,
  type: string,
  param: SearchParameter,
  code: string,
  modifier: string | undefined,
  chained: string,
  value: string,
  sql: SqlParams,
): string {
  const target = modifier ?? (param.target?.length === 1 ? param.target[0] : undefined);
  if (param.type !== 'reference' || target === undefined || chained.includes('.')) {
    throw invalid(
      `chain "${code}.${chained}" needs one reference target (use ${code}:Type.${chained})`,
    );
  }
  const [subCode, subModifier] = chained.split(':') as [string, string | undefined];
  const sub = searchParametersOf(target)[subCode];
  if (sub === undefined || !INDEXED_TYPES.includes(sub.type ?? '') || sub.type === 'reference') {
    throw invalid(`unknown or unsupported chained parameter "${subCode}" on ${target}`);
  }
  const guarded = isProtectedParam(target, sub);
  const alternatives = splitValues(value).map((v) =>
    matchCondition(
      cipher,
      {
        type: target,
        code: subCode,
        param: sub,
        modifier: subModifier,
        value: v,
        guarded,
        alias: 'j',
      },
      sql,
    ),
  );
  const t = sql.add(target);

  return `exists (select 1 from clinical.search_index i where i.resource_type = r.resource_type and i.id = r.id and i.param = ${sql.add(code)} and i.code in (select ${t} || '/' || j.id from clinical.search_index j where j.resource_type = ${t} and j.param = ${sql.add(subCode)} and (${alternatives.join(' or ')})))`;
}

// [FHIR R4 search 3.1.1.5: a comma separates OR values; "\," is a literal comma]
function splitValues(value: string): string[] {
  return value
    .split(/(?<!\\),/)
    .map((v) => v.replace(/\\,/g, ','))
    .filter((v) => v !== '');
}
