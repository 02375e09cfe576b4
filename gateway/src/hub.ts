import { serveStatic } from '@hono/node-server/serve-static';
import { createAdaptorServer } from '@hono/node-server';
import {
  attachConsole,
  createAlertRoutes,
  createAlertingService,
  openDatabase,
  type AlertEngine,
  type AlertingService,
  type ConsoleNamespace,
  type Database,
} from '@sparkden/alerting';
import { mkdirSync, existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';

import type { DemoUser } from './demo.js';
import type { OidcOptions } from './auth/oidc.js';
import { createGateway, type Gateway } from './gateway.js';
import { sqlVitalsSource } from './fhir/vitals.js';
import { startDemo, type DemoHandle } from './hub/demo-agent.js';
import { useRedisAdapter, type RedisAdapterLink } from './hub/redis-adapter.js';
import { auditFromAlert } from './hub/audit-adapters.js';
import { fhirBillingPatients } from './hub/billing-patients.js';
import { createStaffNames } from './hub/staff-names.js';
import { attachVisits, type VisitsHandle } from './hub/visits.js';
import type { TurnOptions } from './hub/turn-credentials.js';
import { mountBilling } from './hub/billing.js';
import { instrumentHub } from './ops/instrument.js';
import { createHubMetrics, httpMetrics, metricsHandler, type HubMetrics } from './ops/metrics.js';
import { readinessHandler } from './ops/readiness.js';

/** Options of {@link startHub}. Everything has a development default. */
export interface StartHubOptions {
  /** Embedded database, development CA and keys live here (default `.data`). */
  dataDir?: string;
  /**
   * JWT signing, field-encryption and sealing keys (default `<dataDir>/keys`); hubs of one
   * deployment share them, e.g. from one cluster secret.
   */
  keysDir?: string;
  /** PostgreSQL/TimescaleDB; embedded PGlite in `dataDir/pg` when absent. */
  databaseUrl?: string;
  /** HTTP port (default 8080; 0 picks a free one). */
  httpPort?: number;
  httpHost?: string;
  /** HTTPS (TLS 1.3 or later) with this certificate; plain HTTP when absent. */
  tls?: { certPem: string; keyPem: string };
  /** A deployment CA for agents' certificates; a development CA is made when absent. */
  ca?: { certPem: string; keyPem: string };
  /** An MQTT broker the hub does not run, whose agents it also serves. */
  mqttUpstream?: {
    url: string;
    clientId: string;
    shareGroup?: string;
    certPem?: string;
    keyPem?: string;
    username?: string;
    password?: string;
  };
  /** An external OIDC issuer whose access tokens the gateway accepts. */
  oidc?: OidcOptions;
  /** MQTT over mutual TLS for agents (default 8883; 0 picks a free one). */
  mqttPort?: number;
  mqttHost?: string;
  /** The public URL (issuer of tokens); default `http://localhost:<port>`. */
  publicUrl?: string;
  /** Run a demo agent with a simulated oximeter and seed the demo users. */
  demo?: boolean;
  /** The broker URL the demo agent is told (a load balancer in front of several hubs). */
  demoMqttUrl?: string;
  /** The demo agent's log level (default `info`). */
  demoAgentLogLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  /** The built web client to serve at `/` (default `web-client/dist`). */
  webRoot?: string;
  /** Video visits (default on; reported unavailable when the worker is not built). */
  sfu?: boolean;
  /** The embedded SFU's media plane: announced address, interface, WebRTC base port. */
  sfuMedia?: { announcedAddress?: string; listenIp?: string; basePort?: number };
  /** Payer contracts and fee schedules (JSON); a demo practice's when absent. */
  billingConfigFile?: string;
  /** The practice's IANA time zone: device days and visit days are counted in it (default UTC). */
  billingTimeZone?: string;
  /** TURN relays whose credentials visit tokens carry (coturn's REST-API secret). */
  turn?: TurnOptions;
  /** Redis, for consoles and visits across several hubs. */
  redisUrl?: string;
  /** A receiver for alert events (raised, escalated, updated), signed with `secret`. */
  webhook?: { url: string; secret: string };
  /** Vitals retention and (TimescaleDB) compression age in days; default: kept, 7. */
  vitals?: { retentionDays?: number; compressAfterDays?: number };
  /** A bearer token `/metrics` requires (at least 16 characters); open when absent. */
  metricsToken?: string;
  logger?: Logger;
}

/** A running hub. */
export interface Hub {
  /** The HTTP base URL, e.g. `http://localhost:8080`. */
  readonly url: string;
  /** The URL agents connect to (`mqtts://…`). */
  readonly mqttUrl: string;
  readonly mqttPort: number;
  readonly db: Database;
  readonly gateway: Gateway;
  readonly alerting: AlertingService;
  readonly metrics: HubMetrics;
  /** Seeded demo users (empty without `demo`). */
  readonly demoUsers: DemoUser[];
  readonly demo?: DemoHandle;
  /** Stops the demo, the servers and the database, in that order. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function listen(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok((server.address() as AddressInfo).port);
    });
  });
}

// The alerting engine places each patient in one unit (its console room); the clinical
// data may give several, the first is the home unit.
async function syncPatientUnits(gateway: Gateway, engine: AlertEngine): Promise<void> {
  for (const { patientId, units } of await gateway.listPatientUnits()) {
    const unit = units[0];
    if (unit !== undefined && engine.unitOf(patientId) !== unit) {
      await engine.setPatientUnit(patientId, unit, 'system:hub');
    }
  }
}

/**
 * Starts the whole hub in this process: database and migrations, the gateway (auth, audit,
 * FHIR, billing), alerting (broker with mutual TLS, ingest, rules, console), video visits,
 * the web client, health and metrics, and with `demo` a demo agent and simulated oximeter.
 *
 * @example
 * ```ts
 * const hub = await startHub({ httpPort: 0, mqttPort: 0, demo: true });
 * console.log(hub.url, hub.demoUsers);
 * await hub.stop();
 * ```
 */
export async function startHub(options: StartHubOptions = {}): Promise<Hub> {
  const dataDir = resolve(options.dataDir ?? '.data');
  const keysDir = resolve(options.keysDir ?? join(dataDir, 'keys'));
  const logger = options.logger ?? pino({ name: 'sparkden', level: 'info' });
  const log = logger.child({ module: 'hub' });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const metrics = createHubMetrics();
  let handler: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const tls = options.tls;
  const server = createAdaptorServer({
    fetch: (req: Request) => handler(req),
    ...(tls === undefined
      ? {}
      : {
          createServer: createHttpsServer,
          serverOptions: { cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' },
        }),
  }) as HttpServer;
  const port = await listen(server, options.httpPort ?? 8080, options.httpHost ?? '127.0.0.1');
  const url = options.publicUrl ?? `${tls === undefined ? 'http' : 'https'}://localhost:${port}`;
  const db = await openDatabase(
    options.databaseUrl === undefined
      ? { dataDir: join(dataDir, 'pg') }
      : { url: options.databaseUrl },
  );
  const closers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => log.error({ err: error }, 'stop step failed'));
    }
  };
  closers.push(() => db.close());
  closers.push(
    () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  );

  try {
    // The engine audits through the gateway, which is built after it.
    const late: { gateway?: Gateway } = {};
    const alerting = await createAlertingService({
      dataDir,
      db,
      logger,
      keysDir,
      ca: options.ca,
      mqtt: {
        port: options.mqttPort ?? 8883,
        host: options.mqttHost,
        upstream: options.mqttUpstream,
      },
      redisUrl: options.redisUrl,
      vitals: options.vitals,
      webhook:
        options.webhook === undefined
          ? undefined
          : { targets: [{ name: 'hub-webhook', ...options.webhook }] },
      engine: {
        // Until the gateway exists the record stays in the alerting outbox and is sent later.
        audit: (event) => {
          if (late.gateway === undefined) {
            throw new Error('the audit trail is not open yet');
          }

          return late.gateway.audit(auditFromAlert(event));
        },
      },
    });
    closers.push(() => alerting.stop());
    const gateway = await createGateway({
      db,
      logger,
      keysDir,
      issuer: url,
      oidc: options.oidc,
      vitals: sqlVitalsSource(db),
      middleware: [httpMetrics(metrics)],
    });
    late.gateway = gateway;
    closers.push(() => gateway.close());
    await gateway.migrate();

    const engine = alerting.engine;
    if (engine === undefined) {
      throw new Error('the alerting engine is required');
    }
    await syncPatientUnits(gateway, engine);

    const app = gateway.app;
    app.get('/metrics', metricsHandler(metrics, { token: options.metricsToken }));
    // The Redis link is made with the socket.io server below; until then it is not ready.
    let redis: RedisAdapterLink | undefined;
    const redisReadiness =
      options.redisUrl === undefined ? undefined : { isReady: () => redis?.isReady() === true };
    app.get('/readyz', readinessHandler({ db, alerting, redis: redisReadiness }));
    gateway.mount(
      '/api/fleet',
      alerting.fleetRoutes((c, action) => gateway.authorize(c, `fleet.${action}`)),
    );
    // An acknowledgement names its acknowledger (their Practitioner's name) for other consoles.
    const displayNameOf = createStaffNames({ repo: gateway.repo, logger });
    gateway.mount(
      '/api/alerting',
      createAlertRoutes({
        engine,
        authorize: (c, action, scope) => gateway.authorize(c, `alerts.${action}`, scope),
        displayNameOf,
      }),
    );
    const repo = gateway.repo;
    const billing = await mountBilling({
      gateway,
      db,
      configFile: options.billingConfigFile,
      timeZone: options.billingTimeZone,
      patients: fhirBillingPatients(repo),
      logger,
    });

    const io = new SocketServer(server, { serveClient: false, cors: { origin: false } });
    closers.push(() => new Promise<void>((ok) => void io.close(() => ok())));
    if (options.redisUrl !== undefined) {
      const link = await useRedisAdapter(io, options.redisUrl);
      redis = link;
      closers.push(() => link.close());
      log.info('consoles fan out across hubs through Redis');
    }
    const consoleNs: ConsoleNamespace = await attachConsole(io, {
      engine,
      authenticate: (token) => gateway.authenticateToken(token),
      displayNameOf,
      sharedDatabase: options.redisUrl !== undefined,
      logger,
    });
    closers.push(() => Promise.resolve(consoleNs.close()));
    const visits: VisitsHandle = await attachVisits({
      io,
      gateway,
      repo,
      store: alerting.store,
      engine,
      billing,
      keysDir,
      enabled: options.sfu ?? true,
      redisUrl: options.redisUrl,
      publicUrl: url,
      media: options.sfuMedia,
      turn: options.turn,
      logger,
    });
    closers.push(() => visits.stop());
    const detachMetrics = instrumentHub({ metrics, alerting, sfu: visits.sfu });
    closers.push(() => Promise.resolve(detachMetrics()));

    const webRoot = options.webRoot ?? join(repoRoot, 'web-client', 'dist');
    if (existsSync(join(webRoot, 'index.html'))) {
      const root = relative(process.cwd(), webRoot) || '.';
      app.use('/*', serveStatic({ root }));
      // The app routes by hash, so only the root needs index.html; an unknown /api or /fhir
      // path keeps its 404 instead of answering with the page.
      app.get('/', serveStatic({ root, path: 'index.html' }));
    } else {
      log.warn({ webRoot }, 'web client not built: run `npm run build -w @sparkden/web-client`');
    }

    const { mqtt } = await alerting.start();
    handler = (req) => app.fetch(req);
    log.info({ url, mqttPort: mqtt.tls }, 'hub listening');

    let demoUsers: DemoUser[] = [];
    let demo: DemoHandle | undefined;
    if (options.demo === true) {
      demoUsers = await gateway.seedDemoUsers();
      await syncPatientUnits(gateway, engine);
      demo = await startDemo({
        hubUrl: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
        dataDir,
        alerting,
        logger,
        agentLogLevel: options.demoAgentLogLevel,
        mqttUrl: options.demoMqttUrl,
      });
      closers.push(() => demo?.stop() ?? Promise.resolve());
    }

    return {
      url,
      mqttUrl: alerting.mqttUrl(),
      mqttPort: mqtt.tls,
      db,
      gateway,
      alerting,
      metrics,
      demoUsers,
      demo,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
