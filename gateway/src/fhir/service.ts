import jsonpatch from 'fast-json-patch';

import type { AccessPolicy } from '../access/policy.js';
import type { Interaction } from '../access/rbac.js';
import type { AuditFn } from '../audit/trail.js';
import { GatewayError } from '../errors.js';
import type { FhirRequest } from './context.js';
import { validate } from './definitions.js';
import type { FhirRepository, HistoryEntry, StoredRow } from './repository.js';
import { isResourceType, patientOf, type Resource, type ResourceType } from './resource-types.js';
import { VITALS_ID_PREFIX, toVitalSignsObservation, type VitalsSource } from './vitals.js';

/**
 * The FHIR interactions with access control and audit around the repository: every call
 * checks scope, role and patient, and writes one audit record whatever the outcome.
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
    if (!isResourceType(type)) {
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

  async #owner(
    type: ResourceType,
    id: string,
  ): Promise<{ patientId: string | null; vitals?: Resource; row?: StoredRow }> {
    if (type === 'Observation' && id.startsWith(VITALS_ID_PREFIX) && this.vitals !== undefined) {
      const reading = await this.vitals.get(id.slice(VITALS_ID_PREFIX.length));
      if (reading === undefined) {
        throw new GatewayError('NOT_FOUND', `${type}/${id} not found`);
      }

      return { patientId: reading.patient, vitals: toVitalSignsObservation(reading) };
    }
    const row = await this.repo.current(type, id);
    if (row === undefined) {
      throw new GatewayError('NOT_FOUND', `${type}/${id} not found`);
    }

    return { patientId: row.patient_id ?? null, row };
  }

  /** read */
  async read(req: FhirRequest, typeName: string, id: string): Promise<Resource> {
    const type = this.typeOf(typeName);
    const owner = await this.#owner(type, id);
    const purpose = await this.guard(req, 'read', type, `${type}/${id}`, owner.patientId);
    const resource = owner.vitals ?? this.repo.open(owner.row as StoredRow);
    await this.record(req, 'read', `${type}/${id}`, owner.patientId, 'success', purpose);

    return resource;
  }

  /** vread */
  async vread(req: FhirRequest, typeName: string, id: string, version: number): Promise<Resource> {
    const type = this.typeOf(typeName);
    const owner = await this.#owner(type, id);
    const purpose = await this.guard(req, 'vread', type, `${type}/${id}`, owner.patientId);
    const resource = owner.vitals ?? (await this.repo.vread(type, id, version));
    await this.record(
      req,
      'vread',
      `${type}/${id}/_history/${version}`,
      owner.patientId,
      'success',
      purpose,
    );

    return resource;
  }

  /** history of one instance */
  async history(req: FhirRequest, typeName: string, id: string): Promise<HistoryEntry[]> {
    const type = this.typeOf(typeName);
    const owner = await this.#owner(type, id);
    const purpose = await this.guard(req, 'history', type, `${type}/${id}`, owner.patientId);
    const entries = await this.repo.history(type, id);
    await this.record(req, 'history', `${type}/${id}`, owner.patientId, 'success', purpose);

    return entries;
  }

  /** create */
  async create(req: FhirRequest, typeName: string, body: Resource): Promise<Resource> {
    const type = this.typeOf(typeName);
    if (body.resourceType !== type) {
      throw new GatewayError('INVALID', `body is a ${String(body.resourceType)}, not a ${type}`);
    }
    const patientId = type === 'Patient' ? null : patientOf(body);
    const purpose = await this.guard(req, 'create', type, type, patientId);
    validate({ ...body, id: undefined });
    const saved = await this.repo.create({ ...body, id: undefined });
    const savedPatient = type === 'Patient' ? saved.id : patientId;
    await this.record(req, 'create', `${type}/${saved.id ?? ''}`, savedPatient, 'success', purpose);

    return saved;
  }

  /** update (PUT), creating under the client's id when absent */
  async update(
    req: FhirRequest,
    typeName: string,
    id: string,
    body: Resource,
    ifMatch: number | undefined,
    interaction: 'update' | 'patch' = 'update',
  ): Promise<{ resource: Resource; created: boolean }> {
    const type = this.typeOf(typeName);
    if (body.resourceType !== type || body.id !== id) {
      throw new GatewayError('INVALID', 'body resourceType and id must match the URL');
    }
    const before = await this.repo.ownerOf(type, id);
    if (before !== undefined && before.patientId !== null) {
      await this.guard(req, interaction, type, `${type}/${id}`, before.patientId);
    }
    const patientId = patientOf(body) ?? null;
    const purpose = await this.guard(req, interaction, type, `${type}/${id}`, patientId);
    validate(body);
    const method = interaction === 'patch' ? 'PATCH' : 'PUT';
    const result = await this.repo.update(body, { ifMatch, method });
    await this.record(req, interaction, `${type}/${id}`, patientId, 'success', purpose);

    return result;
  }

  /** patch with a JSON Patch document [RFC 6902] */
  async patch(
    req: FhirRequest,
    typeName: string,
    id: string,
    operations: unknown,
    ifMatch: number | undefined,
  ): Promise<Resource> {
    const type = this.typeOf(typeName);
    if (!Array.isArray(operations)) {
      throw new GatewayError('INVALID', 'a JSON Patch body is an array of operations');
    }
    const owner = await this.#owner(type, id);
    await this.guard(req, 'patch', type, `${type}/${id}`, owner.patientId);
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
  }

  /** delete */
  async delete(req: FhirRequest, typeName: string, id: string): Promise<void> {
    const type = this.typeOf(typeName);
    const owner = await this.#owner(type, id);
    const purpose = await this.guard(req, 'delete', type, `${type}/${id}`, owner.patientId);
    await this.repo.delete(type, id);
    await this.record(req, 'delete', `${type}/${id}`, owner.patientId, 'success', purpose);
  }
}
