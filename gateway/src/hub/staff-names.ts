import type { Logger } from 'pino';

import type { Caller } from '../access/principal.js';
import type { FhirRepository } from '../fhir/repository.js';
import { readPersonName } from './human-name.js';

/** Options of {@link createStaffNames}. */
export interface StaffNamesOptions {
  repo: Pick<FhirRepository, 'current' | 'toResource'>;
  logger: Logger;
}

/**
 * Looks up the name colleagues know a staff caller by: the name of the Practitioner behind
 * the caller. `undefined` for a caller with none (a system client, a patient), a deleted
 * or nameless Practitioner, or a lookup that failed (logged; the alert then names no one,
 * and the acknowledgement it serves still goes through). A staff member's name is not
 * patient PHI, but it is a person's name: it goes to consoles, never to a log.
 *
 * @example
 * ```ts
 * const displayNameOf = createStaffNames({ repo: gateway.repo, logger });
 * app.route('/api/alerting', createAlertRoutes({ engine, authorize, displayNameOf }));
 * ```
 */
export function createStaffNames(
  options: StaffNamesOptions,
): (caller: Caller) => Promise<string | undefined> {
  const { repo } = options;
  const log = options.logger.child({ module: 'hub:staff-names' });

  return async (caller) => {
    const id = caller.practitionerId;
    if (id === undefined) {
      return undefined;
    }

    try {
      return await readPersonName(repo, 'Practitioner', id);
    } catch (error) {
      log.warn({ err: error, practitionerId: id }, 'staff name lookup failed; no name shown');

      return undefined;
    }
  };
}
