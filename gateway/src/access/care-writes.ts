import { GatewayError } from '../errors.js';
import type { Resource } from '../fhir/resource-types.js';
import type { Caller } from './principal.js';

/** Where each care-relationship type names its practitioners [FHIR R4 CareTeam, Encounter]. */
const PARTICIPANT_PATHS: Record<string, string> = {
  CareTeam: 'member',
  Encounter: 'individual',
};

/** Whether a CareTeam or Encounter names `practitionerId` among its participants. */
export function namesParticipant(resource: Resource, practitionerId: string): boolean {
  const path = PARTICIPANT_PATHS[resource.resourceType];
  if (path === undefined || !Array.isArray(resource.participant)) {
    return false;
  }

  const wanted = `Practitioner/${practitionerId}`;

  return (resource.participant as Record<string, { reference?: string } | undefined>[]).some(
    (p) => {
      const reference = p[path]?.reference ?? '';

      return reference === wanted || reference.endsWith(`/${wanted}`);
    },
  );
}

/**
 * Refuses a write, made only by break-the-glass, that creates or changes a care
 * relationship naming the writer: emergency access must not turn itself into lasting
 * access. `before` is the stored version an update replaces.
 *
 * @throws {GatewayError} `FORBIDDEN`.
 * @example
 * ```ts
 * checkCareWrite(caller, 'BTG', body, stored);
 * ```
 */
export function checkCareWrite(
  caller: Caller,
  purpose: string,
  resource: Resource,
  before?: Resource,
): void {
  if (purpose !== 'BTG' || caller.practitionerId === undefined) {
    return;
  }

  const self = caller.practitionerId;
  const touchesSelf =
    namesParticipant(resource, self) || (before !== undefined && namesParticipant(before, self));
  if (touchesSelf) {
    throw new GatewayError(
      'FORBIDDEN',
      'break-the-glass may not create or change a care relationship for oneself',
    );
  }
}
