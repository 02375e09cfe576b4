import type { AlertEngine, VitalsStore } from '@sparkden/alerting';
import {
  attachVitalsFeed,
  createSfuService,
  createVisitTokenIssuer,
  type SfuService,
  type VisitEvent,
  type VisitRole,
} from '@sparkden/sfu';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Server as SocketServer } from 'socket.io';

import type { BillingService } from '../billing/index.js';
import { loadOrCreateSecret } from '../crypto/secrets.js';
import { GatewayError } from '../errors.js';
import type { FhirRepository } from '../fhir/repository.js';
import type { Gateway } from '../gateway.js';
import type { GatewayEnv } from '../http/env.js';
import { auditFromVisit } from './audit-adapters.js';
import { alertingVitalsSource } from './visit-vitals.js';

/** Options of {@link attachVisits}. */
export interface AttachVisitsOptions {
  io: SocketServer;
  gateway: Gateway;
  repo: FhirRepository;
  store: VitalsStore;
  engine: AlertEngine;
  billing?: BillingService;
  enabled: boolean;
  keysDir?: string;
  redisUrl?: string;
  logger: Logger;
}

/** The video-visit side of the hub. */
export interface VisitsHandle {
  readonly sfu?: SfuService;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

// [FHIR R4 Appointment.participant.actor] the patient taking part in the visit.
function patientOf(appointment: Json): string | undefined {
  const actors = ((appointment.participant as Json[] | undefined) ?? []).map(
    (p) => (p.actor as Json | undefined)?.reference as string | undefined,
  );

  return actors.find((r) => r?.startsWith('Patient/'))?.slice('Patient/'.length);
}

function visitRoleOf(role: string): VisitRole {
  return role === 'clinician' ? 'host' : role === 'patient' ? 'patient' : 'guest';
}

/**
 * `POST /api/visits/:appointmentId/token`: a join token bound to one Appointment, the caller
 * and a role (a clinician hosts, the patient joins, a nurse is a guest), expiring in minutes.
 * The caller must be allowed to see the Appointment's patient.
 */
function visitRoutes(
  gateway: Gateway,
  repo: FhirRepository,
  tokenKey: Uint8Array,
): Hono<GatewayEnv> {
  const issuer = createVisitTokenIssuer(tokenKey, { defaultTtlSeconds: 300 });
  const app = new Hono<GatewayEnv>();

  app.post('/:appointmentId/token', async (c) => {
    const appointmentId = c.req.param('appointmentId');
    const row = await repo.current('Appointment', appointmentId);
    if (row === undefined || row.deleted) {
      throw new GatewayError('NOT_FOUND', 'no such Appointment');
    }
    const appointment = repo.toResource(row) as Json;
    const patientId = patientOf(appointment);
    const caller = await gateway.authorize(c, 'visits:join', { patientId });

    const token = await issuer.issue({
      appointmentId,
      userId: caller.sub,
      role: visitRoleOf(caller.role),
      displayName: caller.role === 'patient' ? 'Patient' : caller.role,
      patientRef: patientId === undefined ? undefined : `Patient/${patientId}`,
    });

    return c.json({ token, expiresIn: 300, appointmentId });
  });

  return app;
}

/**
 * A visit's events become records: when it ends, a finished virtual Encounter for the
 * Appointment with its period and participants, and the visit in billing's minutes ledger.
 */
function visitRecorder(options: AttachVisitsOptions) {
  const log = options.logger.child({ module: 'hub:visits' });

  return async (event: VisitEvent) => {
    if (event.type !== 'ended') {
      return;
    }
    const row = await options.repo.current('Appointment', event.appointmentId);
    const appointment = row === undefined ? undefined : (options.repo.toResource(row) as Json);
    const patientId = appointment === undefined ? undefined : patientOf(appointment);
    if (patientId === undefined) {
      log.warn({ appointmentId: event.appointmentId }, 'visit ended for no known patient');

      return;
    }
    const host = event.participants.find((p) => p.role === 'host');
    await options.repo.create({
      resourceType: 'Encounter',
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: 'VR',
        display: 'virtual',
      },
      subject: { reference: `Patient/${patientId}` },
      appointment: [{ reference: `Appointment/${event.appointmentId}` }],
      period: { start: event.startedAt, end: event.endedAt },
      length: {
        value: Math.round(event.durationSeconds / 60),
        unit: 'min',
        system: 'http://unitsofmeasure.org',
        code: 'min',
      },
    });
    await options.billing?.store.ledger.recordVisit({
      visitId: event.appointmentId,
      patientId,
      clinicianId: host?.userId ?? 'unknown',
      startedAt: event.startedAt,
      endedAt: event.endedAt,
      durationMinutes: Math.round(event.durationSeconds / 60),
      video: true,
      patientLocation: 'home',
      newPatient: false,
    });
  };
}

/**
 * Starts the SFU in the hub process, serves its `/visit` signaling and `/visit-vitals`
 * panel namespaces and the join-token route. A missing mediasoup worker is reported as
 * "video visits unavailable" and never stops the hub.
 */
export async function attachVisits(options: AttachVisitsOptions): Promise<VisitsHandle> {
  const log = options.logger.child({ module: 'hub:visits' });
  if (!options.enabled) {
    log.info('video visits disabled (SPARKDEN_SFU=off)');

    return { stop: () => Promise.resolve() };
  }

  const tokenKey = await loadOrCreateSecret(options.keysDir, 'visit-token', 32);
  const record = visitRecorder(options);
  const sfu = createSfuService({
    tokenKey,
    logger: options.logger,
    audit: (event) => options.gateway.audit(auditFromVisit(event)),
    onVisitEvent: (event) => {
      record(event).catch((error: unknown) => log.error({ err: error }, 'visit record failed'));
    },
  });
  const status = await sfu.start();
  if (!status.media.available) {
    log.warn({ reason: status.media.reason }, 'video visits unavailable');
  }
  sfu.attach(options.io);
  attachVitalsFeed(options.io, {
    tokenKey,
    source: alertingVitalsSource(options.store, options.engine),
    logger: options.logger,
  });
  options.gateway.mount('/api/visits', visitRoutes(options.gateway, options.repo, tokenKey));

  return { sfu, stop: () => sfu.stop() };
}
