import type { AlertEngine, VitalsStore } from '@sparkden/alerting';
import {
  attachVitalsFeed,
  createSfuService,
  VisitEventPublisher,
  type RelayedVisitEvent,
  type SfuService,
  type SfuServiceOptions,
  type VisitAuditEvent,
} from '@sparkden/sfu';
import { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Server as SocketServer } from 'socket.io';

import type { BillingService } from '../billing/index.js';
import { loadOrCreateSecret } from '../crypto/secrets.js';
import type { FhirRepository } from '../fhir/repository.js';
import type { Gateway } from '../gateway.js';
import { auditFromVisit } from './audit-adapters.js';
import { VisitRecordOutbox } from './visit-outbox.js';
import { createVisitPlacer } from './visit-placement.js';
import { appointmentFacts, createVisitRecorder } from './visit-records.js';
import { startVisitEventRelay } from './visit-relay.js';
import type { TurnOptions } from './turn-credentials.js';
import { visitRoutes } from './visit-routes.js';
import { alertingVitalsSource } from './visit-vitals.js';

/** Options of {@link attachVisits}. */
export interface AttachVisitsOptions {
  io: SocketServer;
  gateway: Gateway;
  repo: FhirRepository;
  store: VitalsStore;
  engine: AlertEngine;
  /** Billing, whose visits ledger gets each visit's interactive minutes. */
  billing?: Pick<BillingService, 'store'>;
  enabled: boolean;
  keysDir?: string;
  /** Shared Redis: the embedded SFU registers its load there and visits are placed by it. */
  redisUrl?: string;
  /** This hub's public URL: where clients reach the embedded SFU and the vitals panel. */
  publicUrl: string;
  /** Node id of the embedded SFU in the registry. Default `<host name>:<pid>`. */
  nodeId?: string;
  /** Registry key prefix in Redis (default the SFU's `sd:sfu:`); tests use a unique one. */
  placementPrefix?: string;
  /** Media plane settings of the embedded SFU (ports, announced address, worker binary). */
  media?: SfuServiceOptions['media'];
  /** TURN relays whose credentials each join token's answer carries. */
  turn?: TurnOptions;
  logger: Logger;
}

/** The video-visit side of the hub. */
export interface VisitsHandle {
  readonly sfu?: SfuService;
  stop(): Promise<void>;
}

/**
 * Starts the SFU in the hub process, serves its `/visit` signaling and `/visit-vitals`
 * panel namespaces and the join-token route, records visits as Encounters and in billing's
 * ledger, and with Redis registers the SFU's load, places new visits on the least-loaded
 * SFU node, and records the visits of standalone SFU nodes from their event stream. A missing mediasoup worker is reported as "video visits unavailable" and never
 * stops the hub.
 *
 * @example
 * const visits = await attachVisits({ io, gateway, repo, store, engine, enabled: true,
 *   publicUrl: 'https://hub.example', logger });
 */
export async function attachVisits(options: AttachVisitsOptions): Promise<VisitsHandle> {
  const log = options.logger.child({ module: 'hub:visits' });
  if (!options.enabled) {
    log.info('video visits disabled (SPARKDEN_SFU=off)');

    return { stop: () => Promise.resolve() };
  }

  const tokenKey = await loadOrCreateSecret(options.keysDir, 'visit-token', 32);
  const record = createVisitRecorder({
    repo: options.repo,
    ledger: options.billing?.store.ledger,
    logger: options.logger,
  });
  const patientOf = async (appointmentId: string): Promise<string | undefined> => {
    const row = await options.repo.current('Appointment', appointmentId);

    return row === undefined ? undefined : appointmentFacts(options.repo.toResource(row)).patientId;
  };
  const audit = async (event: VisitAuditEvent) =>
    options.gateway.audit(auditFromVisit(event, await patientOf(event.appointmentId)));
  const redis =
    options.redisUrl === undefined
      ? undefined
      : new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis?.connect();
  const local = {
    nodeId: options.nodeId ?? `${hostname()}:${process.pid}`,
    url: options.publicUrl,
  };
  // Nothing the visit records is dropped: failures are retried, through the Redis Stream the
  // relay below consumes when there is Redis, in process otherwise.
  const outbox = new VisitRecordOutbox({
    handle: (body: RelayedVisitEvent) =>
      body.kind === 'visit' ? record(body.event) : audit(body.event),
    ...(redis === undefined
      ? {}
      : {
          publisher: new VisitEventPublisher({
            redis,
            nodeId: local.nodeId,
            prefix: options.placementPrefix,
          }),
        }),
    logger: options.logger,
  });
  const sfu = createSfuService({
    tokenKey,
    logger: options.logger,
    audit: (event) => outbox.deliver({ kind: 'audit', event }),
    onVisitEvent: (event) => outbox.deliver({ kind: 'visit', event }),
    media: options.media,
    ...(redis === undefined
      ? {}
      : {
          cluster: { redis, nodeId: local.nodeId, url: local.url, prefix: options.placementPrefix },
        }),
  });
  const status = await sfu.start();
  if (!status.media.available) {
    log.warn({ reason: status.media.reason }, 'video visits unavailable');
  }
  sfu.attach(options.io);
  attachVitalsFeed(options.io, {
    tokenKey,
    source: alertingVitalsSource(options.store, options.engine, {
      logger: options.logger,
      audit: (record) => options.gateway.audit(record),
    }),
    logger: options.logger,
  });
  const relay =
    redis === undefined
      ? undefined
      : await startVisitEventRelay({
          redis,
          prefix: options.placementPrefix,
          consumer: local.nodeId,
          record,
          audit,
          logger: options.logger,
        });
  const place = createVisitPlacer({ local, redis, prefix: options.placementPrefix });
  options.gateway.mount(
    '/api/visits',
    visitRoutes({
      gateway: options.gateway,
      repo: options.repo,
      tokenKey,
      place,
      hubUrl: options.publicUrl,
      turn: options.turn,
    }),
  );
  log.info({ node: local.nodeId, placement: redis === undefined ? 'local' : 'redis' }, 'visits up');

  return {
    sfu,
    async stop() {
      await sfu.stop();
      outbox.stop();
      await relay?.stop();
      redis?.disconnect();
    },
  };
}
