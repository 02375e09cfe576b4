import jsonpatch from 'fast-json-patch';

import { checkCareWrite } from '../access/care-writes.js';
import type { AccessPolicy } from '../access/policy.js';
import type { Interaction } from '../access/rbac.js';
import type { AuditFn } from '../audit/trail.js';
import { GatewayError } from '../errors.js';
import type { FhirRequest } from './context.js';
import { validate } from './definitions.js';
import type { FhirRepository, HistoryEntry, StoredRow } from './repository.js';
import { isResourceType, patientOf, type Resource, type ResourceType } from './resource-types.js';
import { FhirSources } from './sources.js';
import {
  VITALS_ID_PREFIX,
  checkNotReading,
  toVitalSignsObservation,
  type VitalsSource,
} from './vitals.js';

/** Where an interaction's failure record points: the resource and, once known, its patient. */
export interface AuditTarget {
  resource: string;
  patientId?: string | null | undefined;
}

/**
 * The FHIR interactions with access control and audit around the repository: every call
 * checks scope, role and patient, and writes one audit record whatever the outcome
 * (`success`, `denied`, or `failure` with the error code).
 *
 * Access is checked before existence. A resource that exists is checked against its own
 * patient compartment; for one that does not, a caller who may see every patient of the
 * type (billing, a system client of every unit, a clinician after break-the-glass, anyone
 * on directory types) gets 404, and anyone else gets the same 403 as for another patient's
 * resource, so an outsider cannot tell "absent" from "not yours". A deleted resource answers
 * 410 only after the access check on the patient it belonged to.
 *
 * @example
 * ```ts
 * const patient = await fhir.read(request, 'Patient', 'p1');
 * ```
 */
export class FhirService {
  readonly repo: FhirRepository;
  readonly policy: AccessPolicy;
  readonly audit: AuditFn;
  readonly vitals: VitalsSource | undefined;
  readonly #audited = new WeakSet<object>();
  /** Other parts' read-only types (billing's claims), registered before the first request. */
  readonly sources = new FhirSources();

  constructor(deps: {
    repo: FhirRepository;
    policy: AccessPolicy;
    audit: AuditFn;
    vitals?: VitalsSource | undefined;
  }) {
    this.repo = deps.repo;
    this.policy = deps.policy;
    this.audit = deps.audit;
    this.vitals = deps.vitals;
  }

  /** Checks the type is served; `NOT_FOUND` otherwise. */
  typeOf(type: string): ResourceType {
    if (!isResourceType(type) || !this.sources.serves(type)) {
      throw new GatewayError('NOT_FOUND', `resource type ${type} is not supported`);
    }

    return type;
  }

  /**
   * Runs the access checks for one interaction on one patient's data and audits a denial.
   * Returns the purpose of use for the success record.
   */
  async guard(
    req: FhirRequest,
    interaction: Interaction,
    type: ResourceType,
    reference: string,
    patientId: string | null | undefined,
  ): Promise<string> {
    try {
      this.policy.checkType(req.caller, type, interaction);
      const purpose = await this.#checkPatient(req, type, patientId, interaction);
      if (purpose === 'BTG') {
        await this.record(req, 'break-glass', reference, patientId, 'success', 'BTG', {
          reason: req.caller.breakGlass?.reason ?? '',
        });
      }

      return purpose;
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
        await this.record(req, interaction, reference, patientId, 'denied');
        this.#audited.add(error);
      }
      throw error;
    }
  }

  /** Whether an error was already written to the audit trail (a denial, a failure). */
  wasAudited(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.#audited.has(error);
  }

  /** Notes that `error` is already in the audit trail, so no layer audits it twice. */
  markAudited(error: object): void {
    this.#audited.add(error);
  }

  /**
   * Runs one interaction and, when it throws an error not yet audited, writes a `failure`
   * record (a `denied` one for `FORBIDDEN`) naming the error code, then rethrows.
   * `work` may fill in the target's patient as soon as it learns it.
   */
  async withAudit<T>(
    req: FhirRequest,
    action: string,
    target: AuditTarget,
    work: (target: AuditTarget) => Promise<T>,
  ): Promise<T> {
    try {
      return await work(target);
    } catch (error) {
      if (!this.wasAudited(error)) {
        const code = error instanceof GatewayError ? error.code : 'INTERNAL';
        const outcome = code === 'FORBIDDEN' ? 'denied' : 'failure';
        await this.record(req, action, target.resource, target.patientId, outcome, undefined, {
          code,
        });
        if (typeof error === 'object' && error !== null) {
          this.#audited.add(error);
        }
      }
      throw error;
    }
  }

  async #checkPatient(
    req: FhirRequest,
    type: ResourceType,
    patientId: string | null | undefined,
    interaction: Interaction,
  ): Promise<string> {
    const caller = req.caller;
    if (this.policy.isUnscoped(caller, type)) {
      return 'HOPERAT';
    }
    if (patientId === null || patientId === undefined) {
      // A new Patient, or clinical data that names no patient: staff only.
      const registering = type === 'Patient' && interaction === 'create';
      if (!registering && (caller.role === 'patient' || caller.role === 'it-admin')) {
        throw new GatewayError('FORBIDDEN', 'no patient in context');
      }

      return 'TREAT';
    }

    return (await this.policy.checkPatient(caller, patientId)).purpose;
  }

  /** Writes one audit record for an interaction. */
  record(
    req: FhirRequest,
    action: string,
    resource: string,
    patientId: string | null | undefined,
    outcome: 'success' | 'denied' | 'failure',
    purpose?: string,
    detail?: Record<string, string | number | boolean>,
  ): Promise<void> {
    return this.audit({
      action,
      actor: { sub: req.caller.sub, role: req.caller.role },
      resource,
      patientId: patientId ?? undefined,
      outcome,
      purpose,
      source: req.source,
      requestId: req.requestId,
      detail,
    });
  }

  async #find(
    type: ResourceType,
    id: string,
  ): Promise<{ patientId: string | null; external?: Resource; row?: StoredRow } | undefined> {
    const source = this.sources.get(type);
    if (source !== undefined) {
      const sourced = await source.read(type, id);

      return sourced === undefined
        ? undefined
        : { patientId: sourced.patientId, external: sourced.resource };
    }
    if (type === 'Observation' && id.startsWith(VITALS_ID_PREFIX) && this.vitals !== undefined) {
      const reading = await this.vitals.get(id.slice(VITALS_ID_PREFIX.length));

      return reading === undefined
        ? undefined
        : { patientId: reading.patient, external: toVitalSignsObservation(reading) };
    }
    const row = await this.repo.current(type, id);

    return row === undefined ? undefined : { patientId: row.patient_id ?? null, row };
  }

  /**
   * A current resource by type and id from wherever it lives (stored, a device reading, a
   * registered source) with its patient; `undefined` when absent or deleted. No access
   * check: callers guard before they hand it out.
   */
  async resolve(
    type: ResourceType,
    id: string,
  ): Promise<{ resource: Resource; patientId: string | null } | undefined> {
    const found = await this.#find(type, id);
    if (found === undefined || found.row?.deleted === true) {
      return undefined;
    }
    const resource = found.external ?? this.repo.toResource(found.row as StoredRow);

    return { resource, patientId: found.patientId };
  }

  /**
   * Finds a resource and checks access to it, access first: see the class comment for
   * what a caller learns about a resource that does not exist.
   */
  async #locate(
    req: FhirRequest,
    interaction: Interaction,
    type: ResourceType,
    id: string,
    target: AuditTarget,
  ): Promise<{ patientId: string | null; purpose: string; external?: Resource; row?: StoredRow }> {
    const reference = `${type}/${id}`;
    this.sources.checkReadOnly(type, interaction);
    const found = await this.#find(type, id);
    if (found !== undefined) {
      target.patientId = found.patientId;
      const purpose = await this.guard(req, interaction, type, reference, found.patientId);

      return { ...found, purpose };
    }

    try {
      this.policy.checkType(req.caller, type, interaction);
      if (!(await this.policy.seesEveryPatient(req.caller, type))) {
        // The very refusal an existing resource of another patient gets.
        throw new GatewayError('FORBIDDEN', 'no access to this patient');
      }
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
        await this.record(req, interaction, reference, undefined, 'denied');
        this.#audited.add(error);
      }
      throw error;
    }

    throw new GatewayError('NOT_FOUND', `${reference} not found`);
  }

  /** read */
  read(req: FhirRequest, typeName: string, id: string): Promise<Resource> {
    return this.withAudit(req, 'read', { resource: `${typeName}/${id}` }, async (target) => {
      const type = this.typeOf(typeName);
      const found = await this.#locate(req, 'read', type, id, target);
      const resource = found.external ?? this.repo.open(found.row as StoredRow);
      await this.record(req, 'read', target.resource, found.patientId, 'success', found.purpose);

      return resource;
    });
  }

  /** vread */
  vread(req: FhirRequest, typeName: string, id: string, version: number): Promise<Resource> {
    const ref = `${typeName}/${id}/_history/${version}`;

    return this.withAudit(req, 'vread', { resource: ref }, async (target) => {
      const type = this.typeOf(typeName);
      const found = await this.#locate(req, 'vread', type, id, target);
      const resource = found.external ?? (await this.repo.vread(type, id, version));
      await this.record(req, 'vread', ref, found.patientId, 'success', found.purpose);

      return resource;
    });
  }

  /** history of one instance */
  history(req: FhirRequest, typeName: string, id: string): Promise<HistoryEntry[]> {
    return this.withAudit(req, 'history', { resource: `${typeName}/${id}` }, async (target) => {
      const type = this.typeOf(typeName);
      const found = await this.#locate(req, 'history', type, id, target);
      const entries = await this.repo.history(type, id);
      await this.record(req, 'history', target.resource, found.patientId, 'success', found.purpose);

      return entries;
    });
  }

  /** create */
  create(req: FhirRequest, typeName: string, body: Resource): Promise<Resource> {
    return this.withAudit(req, 'create', { resource: typeName }, async (target) => {
      const type = this.typeOf(typeName);
      this.sources.checkReadOnly(type, 'create');
      if (body.resourceType !== type) {
        throw new GatewayError('INVALID', `body is a ${String(body.resourceType)}, not a ${type}`);
      }
      const patientId = type === 'Patient' ? null : patientOf(body);
      target.patientId = patientId;
      const purpose = await this.guard(req, 'create', type, type, patientId);
      checkCareWrite(req.caller, purpose, body);
      validate({ ...body, id: undefined });
      const saved = await this.repo.create({ ...body, id: undefined });
      const savedPatient = type === 'Patient' ? saved.id : patientId;
      const ref = `${type}/${saved.id ?? ''}`;
      await this.record(req, 'create', ref, savedPatient, 'success', purpose);

      return saved;
    });
  }

  /** update (PUT), creating under the client's id when absent */
  update(
    req: FhirRequest,
    typeName: string,
    id: string,
    body: Resource,
    ifMatch: number | undefined,
    interaction: 'update' | 'patch' = 'update',
  ): Promise<{ resource: Resource; created: boolean }> {
    const ref = `${typeName}/${id}`;

    return this.withAudit(req, interaction, { resource: ref }, async (target) => {
      const type = this.typeOf(typeName);
      this.sources.checkReadOnly(type, interaction);
      checkNotReading(type, id);
      if (body.resourceType !== type || body.id !== id) {
        throw new GatewayError('INVALID', 'body resourceType and id must match the URL');
      }
      const before = await this.repo.ownerOf(type, id);
      if (before !== undefined && before.patientId !== null) {
        target.patientId = before.patientId;
        await this.guard(req, interaction, type, ref, before.patientId);
      }
      const patientId = patientOf(body) ?? null;
      target.patientId = patientId;
      const purpose = await this.guard(req, interaction, type, ref, patientId);
      const stored = purpose === 'BTG' ? await this.#storedVersion(type, id) : undefined;
      checkCareWrite(req.caller, purpose, body, stored);
      validate(body);
      const method = interaction === 'patch' ? 'PATCH' : 'PUT';
      const result = await this.repo.update(body, { ifMatch, method });
      await this.record(req, interaction, ref, patientId, 'success', purpose);

      return result;
    });
  }

  async #storedVersion(type: ResourceType, id: string): Promise<Resource | undefined> {
    const row = await this.repo.current(type, id);

    return row === undefined || row.deleted ? undefined : this.repo.toResource(row);
  }

  /** patch with a JSON Patch document [RFC 6902] */
  patch(
    req: FhirRequest,
    typeName: string,
    id: string,
    operations: unknown,
    ifMatch: number | undefined,
  ): Promise<Resource> {
    return this.withAudit(req, 'patch', { resource: `${typeName}/${id}` }, async (target) => {
      const type = this.typeOf(typeName);
      checkNotReading(type, id);
      await this.#locate(req, 'patch', type, id, target);
      if (!Array.isArray(operations)) {
        throw new GatewayError('INVALID', 'a JSON Patch body is an array of operations');
      }
      const current = await this.repo.read(type, id);
      let patched: Resource;
      try {
        const ops = operations as jsonpatch.Operation[];
        patched = jsonpatch.applyPatch(structuredClone(current), ops, true, false).newDocument;
      } catch (error) {
        throw new GatewayError('INVALID', 'the JSON Patch does not apply', { cause: error });
      }
      const version = ifMatch ?? Number(current.meta?.versionId);
      const body = { ...patched, resourceType: type, id, meta: { ...(patched.meta ?? {}) } };
      const { resource } = await this.update(req, type, id, body, version, 'patch');

      return resource;
    });
  }

  /** delete */
  delete(req: FhirRequest, typeName: string, id: string): Promise<void> {
    return this.withAudit(req, 'delete', { resource: `${typeName}/${id}` }, async (target) => {
      const type = this.typeOf(typeName);
      checkNotReading(type, id);
      const found = await this.#locate(req, 'delete', type, id, target);
      await this.repo.delete(type, id);
      await this.record(req, 'delete', target.resource, found.patientId, 'success', found.purpose);
    });
  }
}
