import { createVisitTokenIssuer, type VisitRole } from '@sparkden/sfu';
import { Hono } from 'hono';

import type { Caller } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import type { FhirRepository } from '../fhir/repository.js';
import type { Gateway } from '../gateway.js';
import type { GatewayEnv } from '../http/env.js';
import { readPersonName } from './human-name.js';
import { appointmentFacts } from './visit-records.js';
import { mintTurnCredentials, type TurnIceServer, type TurnOptions } from './turn-credentials.js';
import type { VisitPlacer } from './visit-placement.js';

/** Seconds a join token lives: long enough to check devices, short enough not to be shared. */
export const VISIT_TOKEN_TTL_SECONDS = 300;

/** The answer of `POST /api/visits/:appointmentId/token`. */
export interface VisitTokenResponse {
  token: string;
  expiresIn: number;
  appointmentId: string;
  role: VisitRole;
  /** The SFU node the visit is placed on, and where its `/visit` signaling is served. */
  nodeId: string;
  signalingUrl: string;
  /** Where the host's live-vitals panel (`/visit-vitals`) is served: this hub. */
  vitalsUrl: string;
  /** TURN relays with credentials minted for this caller (empty when none is configured). */
  iceServers: TurnIceServer[];
}

/** Options of {@link visitRoutes}. */
export interface VisitRoutesOptions {
  gateway: Gateway;
  repo: FhirRepository;
  tokenKey: Uint8Array;
  place: VisitPlacer;
  /** This hub's public URL (the vitals panel's feed). */
  hubUrl: string;
  /** TURN relays for participants behind strict NATs. */
  turn?: TurnOptions;
}

function visitRoleOf(role: string): VisitRole {
  return role === 'clinician' ? 'host' : role === 'patient' ? 'patient' : 'guest';
}

// The holder's own FHIR reference, so the Encounter can name its participants.
function actorRefOf(caller: Caller): string | undefined {
  if (caller.role === 'patient' && caller.patientId !== undefined) {
    return `Patient/${caller.patientId}`;
  }

  return caller.practitionerId === undefined ? undefined : `Practitioner/${caller.practitionerId}`;
}

/**
 * Appointment statuses a visit can be joined in [FHIR R4 Appointment.status]: booked, or the
 * patient has arrived / checked in. Not proposed, pending or waitlisted ones, and not a
 * cancelled, no-show, fulfilled or entered-in-error one.
 */
export const JOINABLE_APPOINTMENT_STATUSES: readonly string[] = ['booked', 'arrived', 'checked-in'];

/**
 * Only the Appointment's own people get a token: the patient it is for, or a practitioner
 * named among its participants [FHIR R4 Appointment.participant.actor].
 * @throws {GatewayError} `FORBIDDEN` for anyone else; `CONFLICT` for a status not joinable.
 */
function assertMayJoin(appointment: Record<string, unknown>, caller: Caller): void {
  const status = appointment.status as string | undefined;
  const { patientId, actorRefs } = appointmentFacts(appointment);
  const own = actorRefOf(caller);
  const isPatient = caller.role === 'patient' && patientId !== undefined;
  const listed = isPatient
    ? caller.patientId === patientId
    : own !== undefined && actorRefs.includes(own);
  if (!listed) {
    throw new GatewayError('FORBIDDEN', 'not a participant of this Appointment');
  }
  if (!JOINABLE_APPOINTMENT_STATUSES.includes(status ?? '')) {
    throw new GatewayError('CONFLICT', `a ${status ?? 'status-less'} Appointment cannot be joined`);
  }
}

/** What the lobby and the tiles show for a caller with no name on record. */
const ROLE_LABELS: Record<VisitRole, string> = {
  host: 'Clinician',
  patient: 'Patient',
  guest: 'Care team',
};

/**
 * The name other participants see: the caller's Practitioner or Patient name. PHI: it goes
 * into the join token, to the caller and the other participants of this visit, never a log.
 */
async function displayNameOf(
  repo: FhirRepository,
  actorRef: string | undefined,
  role: VisitRole,
): Promise<string> {
  const [type, id] = actorRef?.split('/') ?? [];
  if ((type !== 'Practitioner' && type !== 'Patient') || id === undefined) {
    return ROLE_LABELS[role];
  }

  return (await readPersonName(repo, type, id)) ?? ROLE_LABELS[role];
}

/**
 * `POST /api/visits/:appointmentId/token`: a join token bound to one Appointment, the caller
 * and a role (a clinician hosts, the patient joins, a nurse is a guest), expiring in minutes,
 * with the signaling URL of the SFU node the visit is placed on. The caller must be allowed to
 * see the Appointment's patient (the same ABAC as the FHIR API), be the patient or a
 * practitioner it names, and the Appointment must be booked, arrived or checked in. The token's display name is
 * the caller's Practitioner or Patient name, shown to the other participants in the lobby.
 *
 * @example
 * gateway.mount('/api/visits', visitRoutes({ gateway, repo, tokenKey, place, hubUrl }));
 */
export function visitRoutes(options: VisitRoutesOptions): Hono<GatewayEnv> {
  const { gateway, repo } = options;
  const issuer = createVisitTokenIssuer(options.tokenKey, {
    defaultTtlSeconds: VISIT_TOKEN_TTL_SECONDS,
  });
  const app = new Hono<GatewayEnv>();

  app.post('/:appointmentId/token', async (c) => {
    const appointmentId = c.req.param('appointmentId');
    // Authenticate before the lookup, so that no one learns which Appointments exist.
    await gateway.authorize(c, 'visits:join');
    const row = await repo.current('Appointment', appointmentId);
    if (row === undefined || row.deleted) {
      throw new GatewayError('NOT_FOUND', 'no such Appointment');
    }
    const appointment = repo.toResource(row);
    const { patientId } = appointmentFacts(appointment);
    const caller = await gateway.authorize(c, 'visits:join', { patientId });
    assertMayJoin(appointment, caller);

    const role = visitRoleOf(caller.role);
    const actorRef = actorRefOf(caller);
    const node = await options.place(appointmentId);
    const token = await issuer.issue({
      appointmentId,
      userId: caller.sub,
      role,
      displayName: await displayNameOf(repo, actorRef, role),
      patientRef: role === 'host' && patientId !== undefined ? `Patient/${patientId}` : undefined,
      ...(actorRef === undefined ? {} : { actorRef }),
    });

    const body: VisitTokenResponse = {
      token,
      expiresIn: VISIT_TOKEN_TTL_SECONDS,
      appointmentId,
      role,
      nodeId: node.nodeId,
      signalingUrl: node.url,
      vitalsUrl: options.hubUrl,
      iceServers: options.turn === undefined ? [] : [mintTurnCredentials(options.turn, caller.sub)],
    };

    return c.json(body);
  });

  return app;
}
