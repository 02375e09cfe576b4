import type { AuditRecord } from './trail.js';

const CRUD: Record<string, string> = {
  create: 'C',
  read: 'R',
  vread: 'R',
  search: 'E',
  history: 'R',
  update: 'U',
  patch: 'U',
  delete: 'D',
  export: 'E',
};
const AUTH_ACTIONS = new Set(['login', 'logout', 'token', 'refresh', 'lockout', 'authorize']);

// [FHIR R4 AuditEvent.outcome: 0 success, 4 minor failure, 8 serious failure]
const OUTCOME: Record<AuditRecord['outcome'], string> = { success: '0', denied: '4', failure: '8' };

/**
 * Renders an audit record as a FHIR R4 `AuditEvent` (rest interactions use the
 * `restful-interaction` subtype; auth events use DICOM 110114 User Authentication).
 *
 * @example
 * ```ts
 * const event = toAuditEvent(record);
 * ```
 */
export function toAuditEvent(record: AuditRecord): Record<string, unknown> {
  const isAuth = AUTH_ACTIONS.has(record.action);
  const type = isAuth
    ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114' }
    : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' };
  const subtypeSystem = isAuth
    ? 'https://sparkden.dev/fhir/CodeSystem/auth-event'
    : 'http://hl7.org/fhir/restful-interaction';
  const entity: Record<string, unknown>[] = [];
  if (record.resource !== undefined) {
    entity.push({ what: { reference: record.resource } });
  }
  if (record.patientId !== undefined) {
    const role = { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' };
    entity.push({ what: { reference: `Patient/${record.patientId}` }, role });
  }

  return {
    resourceType: 'AuditEvent',
    id: String(record.seq),
    type,
    subtype: [{ system: subtypeSystem, code: record.action }],
    action: CRUD[record.action] ?? 'E',
    recorded: record.at,
    outcome: OUTCOME[record.outcome],
    agent: [agentOf(record)],
    source: { observer: { display: 'sparkden-gateway' } },
    ...(entity.length > 0 ? { entity } : {}),
  };
}

function agentOf(record: AuditRecord): Record<string, unknown> {
  const agent: Record<string, unknown> = {
    requestor: true,
    who: { identifier: { value: record.actor?.sub ?? 'anonymous' } },
  };
  if (record.actor?.role !== undefined) {
    agent.type = { text: record.actor.role };
  }
  if (record.source !== undefined) {
    // [FHIR R4 AuditEvent.agent.network.type: 2 = IP address]
    agent.network = { address: record.source, type: '2' };
  }
  if (record.purpose !== undefined) {
    const system = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
    agent.purposeOfUse = [{ coding: [{ system, code: record.purpose }] }];
  }

  return agent;
}
