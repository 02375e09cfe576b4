import { sealJson, type AgentConfigPush } from '@sparkden/protocol';
import type { Context } from 'hono';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';

import { AlertEngine, type AlertEngineOptions } from './alerts/index.js';
import type { Principal } from './api/principal.js';
import {
  AgentLinks,
  HubBroker,
  UpstreamLink,
  type BrokerPorts,
  type UpstreamLinkOptions,
} from './broker/index.js';
import { openDatabase, runMigrations, type Database } from './db/index.js';
import {
  Fleet,
  HubKeyring,
  createFleetRoutes,
  fleetMigrations,
  loadHubSealingKey,
  type FleetAction,
} from './fleet/index.js';
import { Ingest, type CommittedSink } from './ingest/index.js';
import { alertingLogger } from './log/safe-error.js';
import { WebhookNotifier, type WebhookNotifierOptions } from './notify/webhook-notifier.js';
import { loadHubPki, type HubPki } from './pki/index.js';
import {
  VitalsStore,
  createVitalsMigrations,
  type VitalsMigrationOptions,
  type VitalsStoreOptions,
} from './store/index.js';

/** Options of {@link createAlertingService}. */
export interface AlertingServiceOptions {
  /** Where the development CA, the hub sealing key and (without a URL) PGlite live. */
  dataDir: string;
  /** A `postgres://` URL; without it (and without `db`), PGlite in `dataDir/pg`. */
  databaseUrl?: string;
  /** An already opened database to share (the gateway's); the service does not close it. */
  db?: Database;
  mqtt?: {
    /** Mutual-TLS port (default 8883; 0 picks a free one). */
    port?: number;
    host?: string;
    /** Extra names for the broker certificate, beside localhost and 127.0.0.1. */
    serverNames?: string[];
    /** A plain MQTT port on loopback, for development only. */
    plainPort?: number;
    /** The URL agents are told at enrollment (default `mqtts://localhost:<port>`). */
    publicUrl?: string;
    /**
     * A broker the hub does not run (Mosquitto, EMQX, HiveMQ): the hub also takes agents'
     * frames from it and answers through it. `caPem` defaults to the hub CA, which agents
     * trust, so that broker's certificate comes from the hub's PKI.
     */
    upstream?: Omit<UpstreamLinkOptions, 'logger'>;
  };
  /** Redis shared with other hub processes: their brokers then serve every agent as one. */
  redisUrl?: string;
  /** Prefix of the broker's Redis keys and channels, one per deployment (default `sparkden`). */
  redisNamespace?: string;
  /** The hub's sealing keys (default `<dataDir>/keys`), shared by the hubs of one deployment. */
  keysDir?: string;
  /** A deployment CA instead of the development CA the hub makes itself. */
  ca?: { certPem: string; keyPem: string };
  vitals?: VitalsStoreOptions & VitalsMigrationOptions;
  /** The rule engine's options, or `false` to run without one (then use `sink`). */
  engine?: Partial<Omit<AlertEngineOptions, 'db' | 'logger'>> | false;
  /** Receives committed rows instead of (or when there is no) engine. */
  sink?: CommittedSink;
  /**
   * Signed webhooks (with retries, from a durable outbox) for the engine's alert events:
   * by default every raised, escalated and updated alert of severity `low-medium` or
   * more, each carrying the escalation target it is at (nurse, charge-nurse, physician).
   * Needs the engine.
   */
  webhook?: Omit<WebhookNotifierOptions, 'db' | 'logger'>;
  /** How often partitions and policies are kept (default one hour). */
  maintenanceIntervalMs?: number;
  /** How often the fleet cache is reloaded, for revocations made by another hub (default 30 s). */
  fleetRefreshMs?: number;
  /** How long an agent's previous sealing key is accepted after a rotation (default 24 h). */
  sealingKeyGraceMs?: number;
  logger?: Logger;
}

/** The running alerting side of the hub. */
export interface AlertingService {
  readonly db: Database;
  readonly pki: HubPki;
  readonly store: VitalsStore;
  readonly fleet: Fleet;
  readonly broker: HubBroker;
  /** The link to a broker the hub does not run, when `mqtt.upstream` is set. */
  readonly upstream?: UpstreamLink;
  readonly ingest: Ingest;
  /** The rule engine, unless `engine: false`. */
  readonly engine?: AlertEngine;
  /** Delivers alert events to webhooks, when `webhook` is set. */
  readonly notifier?: WebhookNotifier;
  /** Binds the broker, re-pushes agents' configurations, starts upkeep and the engine. */
  start(): Promise<{ mqtt: BrokerPorts }>;
  /** The fleet routes for the gateway to mount at `/api/fleet`. */
  fleetRoutes(
    authorize: (c: Context, action: FleetAction) => Promise<Principal>,
  ): ReturnType<typeof createFleetRoutes>;
  /** The URL agents are told to connect to. */
  mqttUrl(): string;
  stop(): Promise<void>;
}

function sealedConfig(fleet: Fleet, agentId: string, push: AgentConfigPush) {
  const keyId = fleet.currentKeyId(agentId);
  const key = keyId === undefined ? undefined : fleet.sealingKey(agentId, keyId);
  if (keyId === undefined || key === undefined) {
    return undefined;
  }

  return sealJson({ kind: 'config', keyId, agentId, seq: BigInt(push.version) }, push, key);
}

/**
 * Composes the alerting side of the hub: database and migrations (`vitals`, `fleet`,
 * `alerting`), the hub PKI, the fleet, the vitals store, the mutual-TLS broker, ingest and
 * the rule engine, wired so a committed batch is acked and handed to the engine, a
 * revocation drops the agent at once and a new configuration is pushed retained.
 *
 * @example
 * ```ts
 * const service = await createAlertingService({ dataDir: '.data', mqtt: { port: 8883 } });
 * app.route('/api/fleet', service.fleetRoutes(authorize));
 * const { mqtt } = await service.start();
 * ```
 */
export async function createAlertingService(
  options: AlertingServiceOptions,
): Promise<AlertingService> {
  if (options.webhook !== undefined && options.engine === false) {
    throw new TypeError('"webhook" needs the rule engine; it is off ("engine" is false)');
  }
  const log = options.logger ?? pino({ name: 'sparkden' });
  const svcLog = alertingLogger(log, 'alerting:service');
  const ownsDb = options.db === undefined;
  const db =
    options.db ??
    (await openDatabase(
      options.databaseUrl === undefined
        ? { dataDir: join(options.dataDir, 'pg') }
        : { url: options.databaseUrl },
    ));

  try {
    await runMigrations(db, {
      schema: 'vitals',
      migrations: createVitalsMigrations(options.vitals),
    });
    await runMigrations(db, { schema: 'fleet', migrations: fleetMigrations });
    const pki = await loadHubPki({
      dir: join(options.dataDir, 'pki'),
      serverNames: options.mqtt?.serverNames,
      caCertPem: options.ca?.certPem,
      caKeyPem: options.ca?.keyPem,
    });
    if (pki.createdCa) {
      svcLog.info({ dir: join(options.dataDir, 'pki') }, 'development CA created');
    }
    const keysDir = options.keysDir ?? join(options.dataDir, 'keys');
    const hubKey = await loadHubSealingKey(keysDir);
    const keyring = await HubKeyring.open({ first: hubKey, dir: keysDir });
    const fleet = await Fleet.open({
      db,
      ca: pki.ca,
      hubKey,
      keyring,
      sealingKeyGraceMs: options.sealingKeyGraceMs,
    });
    const store = await VitalsStore.open(db, options.vitals);
    const engine =
      options.engine === false
        ? undefined
        : await AlertEngine.open({ ...options.engine, db, logger: log });

    return assemble({ options, log, db, ownsDb, pki, fleet, store, engine });
  } catch (error) {
    if (ownsDb) {
      await db.close().catch(() => undefined);
    }
    throw error;
  }
}

interface Parts {
  options: AlertingServiceOptions;
  log: Logger;
  db: Database;
  ownsDb: boolean;
  pki: HubPki;
  fleet: Fleet;
  store: VitalsStore;
  engine?: AlertEngine;
}

function assemble(p: Parts): AlertingService {
  const { options, log, fleet, store, engine } = p;
  const svcLog = alertingLogger(log, 'alerting:service');
  const broker = new HubBroker({
    access: fleet,
    logger: log,
    tls: {
      port: options.mqtt?.port ?? 8883,
      host: options.mqtt?.host,
      certPem: p.pki.server.pem,
      keyPem: p.pki.server.keyPem,
      caPem: p.pki.ca.pem,
    },
    plain: options.mqtt?.plainPort === undefined ? undefined : { port: options.mqtt.plainPort },
    redis:
      options.redisUrl === undefined
        ? undefined
        : { url: options.redisUrl, namespace: options.redisNamespace },
  });
  const up = options.mqtt?.upstream;
  const upstream =
    up === undefined ? undefined : new UpstreamLink({ caPem: p.pki.ca.pem, ...up, logger: log });
  const links = new AgentLinks(upstream === undefined ? [broker] : [broker, upstream]);
  const ingest = new Ingest({
    store,
    keys: fleet,
    sink: options.sink ?? engine,
    logger: log,
    publishAck: (agentId, frame) => links.publishAck(agentId, frame),
  });
  const notifier =
    options.webhook === undefined || engine === undefined
      ? undefined
      : new WebhookNotifier({ ...options.webhook, db: p.db, logger: log });
  const timers: NodeJS.Timeout[] = [];
  let ports: BrokerPorts | undefined;
  let stopped = false;

  const pushConfig = (agentId: string, push: AgentConfigPush) => {
    const frame = sealedConfig(fleet, agentId, push);
    if (frame === undefined) {
      return;
    }
    links.publishRetained(agentId, 'config', frame).catch((error: Error) => {
      svcLog.warn({ agentId, code: 'CONFIG_NOT_PUSHED', err: error }, 'config push');
    });
  };
  const pushAllConfigs = async () => {
    for (const { agentId, push } of await fleet.latestConfigs()) {
      pushConfig(agentId, push);
    }
  };
  const background = (what: string, agentId: string | undefined, work: Promise<unknown>) => {
    work.catch((error: Error) => {
      svcLog.warn({ agentId, code: what, err: error }, 'background task failed');
    });
  };

  links.on('agentMessage', (m) => background('INGEST_FAILED', m.agentId, ingest.handle(m)));
  // A broker that restarted may have lost the retained configurations.
  upstream?.on('reconnected', () => background('CONFIG_NOT_PUSHED', undefined, pushAllConfigs()));
  broker.on('agentConnected', (id) =>
    background('STATUS_NOT_RECORDED', id, fleet.recordConnection(id, true)),
  );
  broker.on('agentDisconnected', (id) =>
    background('STATUS_NOT_RECORDED', id, fleet.recordConnection(id, false)),
  );
  fleet.on('agentRevoked', (id) => {
    broker.disconnectAgent(id);
    links.forget(id);
    // An empty retained payload clears the agent's retained configuration.
    background('CONFIG_NOT_CLEARED', id, links.publishRetained(id, 'config', new Uint8Array()));
    svcLog.info({ agentId: id }, 'agent revoked');
  });
  fleet.on('configChanged', pushConfig);
  // The retained config was sealed under the old key; seal it again under the new one so
  // an agent that restarts after the old key retires can still open it.
  fleet.on('sealingKeyPromoted', (id, keyId) => {
    svcLog.info({ agentId: id, keyId }, 'sealing key rotated');
    background(
      'CONFIG_NOT_PUSHED',
      id,
      fleet.latestConfigs().then((all) => {
        const mine = all.find((c) => c.agentId === id);
        if (mine !== undefined) {
          pushConfig(id, mine.push);
        }
      }),
    );
  });
  fleet.on('sealingKeyRetired', (id, keyId) => {
    svcLog.info({ agentId: id, keyId, code: 'KEY_RETIRED' }, 'previous sealing key retired');
  });

  const every = (ms: number, what: string, fn: () => Promise<unknown>) => {
    const timer = setInterval(() => background(what, undefined, fn()), ms);
    timer.unref();
    timers.push(timer);
  };

  return {
    db: p.db,
    pki: p.pki,
    store,
    fleet,
    broker,
    upstream,
    ingest,
    engine,
    notifier,
    async start() {
      // The first pass ever fixes where the notifier starts reading the alert log: before
      // the broker takes frames, so the first alert of a new deployment is not skipped.
      await notifier?.enqueue();
      ports = await broker.start();
      await upstream?.start();
      await pushAllConfigs();
      every(options.maintenanceIntervalMs ?? 3_600_000, 'MAINTENANCE_FAILED', () =>
        store.maintain(),
      );
      every(options.fleetRefreshMs ?? 30_000, 'FLEET_REFRESH_FAILED', async () => {
        await fleet.refresh();
        await fleet.retireSealingKeys();
        for (const id of broker.connectedAgents()) {
          if (!fleet.isActive(id)) {
            broker.disconnectAgent(id);
          }
        }
      });
      engine?.start();
      if (notifier !== undefined && engine !== undefined) {
        // Reads the alert log from where it stopped: nothing raised while down is lost.
        notifier.attach(engine);
        notifier.start();
      }
      svcLog.info({ mqtt: ports, layout: store.layout, db: p.db.kind }, 'alerting started');

      return { mqtt: ports };
    },
    fleetRoutes(authorize) {
      return createFleetRoutes({ fleet, authorize, mqttUrl: () => this.mqttUrl() });
    },
    mqttUrl() {
      return (
        options.mqtt?.publicUrl ?? `mqtts://localhost:${ports?.tls ?? options.mqtt?.port ?? 8883}`
      );
    },
    async stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      for (const t of timers) {
        clearInterval(t);
      }
      await broker.close();
      await upstream?.close();
      await ingest.drain();
      await notifier?.stop();
      await engine?.close();
      if (p.ownsDb) {
        await p.db.close();
      }
      svcLog.info('alerting stopped');
    },
  };
}
