import type { Interaction } from '../access/rbac.js';
import { GatewayError } from '../errors.js';
import {
  FINANCIAL_TYPES,
  RESOURCE_TYPES,
  type Resource,
  type ResourceType,
} from './resource-types.js';

/** A resource a {@link FhirSource} holds, with the patient it belongs to. */
export interface SourcedResource {
  resource: Resource;
  patientId: string;
}

/** One page of a {@link FhirSource} search. */
export interface SourceQuery {
  /** Only this patient's resources; every patient's when absent. */
  patientId?: string | undefined;
  /** Only these ids (`_id`); any when absent. */
  ids?: string[] | undefined;
  count: number;
  offset: number;
}

/**
 * A read-only store of FHIR resources another part of the hub keeps (billing's claims),
 * registered with the FHIR service so those types are read and searched like any other,
 * through the same access checks and audit.
 *
 * @example
 * ```ts
 * gateway.registerFhirSource({ types: ['Claim'], read, search });
 * ```
 */
export interface FhirSource {
  /** The types it serves; each must be one of `FINANCIAL_TYPES`. */
  readonly types: readonly ResourceType[];
  read(type: ResourceType, id: string): Promise<SourcedResource | undefined>;
  /** A page, newest first, and the number of matches in all. */
  search(
    type: ResourceType,
    query: SourceQuery,
  ): Promise<{ resources: SourcedResource[]; total: number }>;
}

/**
 * The sources registered with the FHIR service, by type.
 *
 * @example
 * ```ts
 * fhir.sources.register(billingFhirSource(store));
 * ```
 */
export class FhirSources {
  readonly #byType = new Map<ResourceType, FhirSource>();

  /**
   * Serves a source's financial types read-only (read and search); call it before the
   * first request.
   *
   * @throws {TypeError} when a type is not one of `FINANCIAL_TYPES`.
   */
  register(source: FhirSource): void {
    const foreign = source.types.find((t) => !FINANCIAL_TYPES.includes(t));
    if (foreign !== undefined) {
      throw new TypeError(`"types" may hold only financial types, not ${foreign}`);
    }

    source.types.forEach((t) => this.#byType.set(t, source));
  }

  /** The source serving `type`, if one was registered. */
  get(type: ResourceType): FhirSource | undefined {
    return this.#byType.get(type);
  }

  /** Whether `type` is served: a financial type only once a source serves it. */
  serves(type: ResourceType): boolean {
    return !FINANCIAL_TYPES.includes(type) || this.#byType.has(type);
  }

  /** The types served now, in {@link RESOURCE_TYPES} order. */
  served(): ResourceType[] {
    return RESOURCE_TYPES.filter((t) => this.serves(t));
  }

  /**
   * Refuses anything but a read on a sourced type.
   *
   * @throws {GatewayError} `METHOD_NOT_ALLOWED` [FHIR R4 http: 405 for an interaction the
   *   server does not support on the type].
   */
  checkReadOnly(type: ResourceType, interaction: Interaction): void {
    if (this.#byType.has(type) && interaction !== 'read') {
      throw new GatewayError('METHOD_NOT_ALLOWED', `${type} is read-only here: read and search`);
    }
  }
}
