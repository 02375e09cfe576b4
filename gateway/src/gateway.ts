import { runMigrations, type Database } from '@sparkden/alerting';
import { Hono, type MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';

import { createAuthorize, type Authorize } from './access/authorize.js';
import { CareDirectory } from './access/care.js';
import { AccessPolicy } from './access/policy.js';
import type { Caller, Role } from './access/principal.js';
import { auditRoutes } from './audit/routes.js';
import { auditMigrations } from './audit/schema.js';
import { AuditTrail, type AuditFn } from './audit/trail.js';
import { verifyAuditChainAt, type ChainReport } from './audit/verify.js';
import { createAuthenticator } from './auth/authenticate.js';
import { ClientRegistry } from './auth/clients.js';
import { AuthorizationCodes } from './auth/codes.js';
import { ExternalIssuer, type OidcOptions } from './auth/oidc.js';
import { authRoutes } from './auth/routes.js';
import { authMigrations } from './auth/schema.js';
import { AuthService } from './auth/service.js';
import { SessionStore, type SessionTimeouts } from './auth/sessions.js';
import { SigningKeys, type RotateOptions } from './auth/signing-keys.js';
import { TokenIssuer } from './auth/token-issuer.js';
import { UserDirectory, type UserDirectoryOptions } from './auth/users.js';
import { wellKnownRoutes } from './auth/well-known.js';
import { FieldCipher, type FieldKeyring } from './crypto/field-cipher.js';
import { createKeyringReloader, loadKeyring, rotateKeyringFile } from './crypto/keyring-file.js';
import { loadOrCreateSecret } from './crypto/secrets.js';
import { GatewayError } from './errors.js';
import { seedDemo, type DemoUser, type SeedDemoOptions } from './demo.js';
import { BulkExporter } from './fhir/bulk-export.js';
import { loadDefinitions } from './fhir/definitions.js';
import { resealStale } from './fhir/rekey.js';
import { sealClearIdentifying } from './fhir/seal-clear-fields.js';
import { FhirRepository } from './fhir/repository.js';
import { fhirRoutes } from './fhir/routes/index.js';
import { clinicalMigrations } from './fhir/schema.js';
import { FhirService } from './fhir/service.js';
import type { FhirSource } from './fhir/sources.js';
import type { VitalsSource } from './fhir/vitals.js';
import { requireBearer } from './http/bearer.js';
import type { GatewayEnv } from './http/env.js';
import { handleError, handleNotFound } from './http/error-handler.js';
import { requestContext } from './http/request-context.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The hub database (`openDatabase` of `@sparkden/alerting`). */
  db: Database;
  /** The service logger; a child per request is derived from it. Silent when absent. */
  logger?: Logger;
  /** Where signing keys, the audit HMAC key and field keys live; memory only when absent. */
  keysDir?: string;
  /** This gateway's public URL: the `iss` of its tokens and the base of its endpoints. */
  issuer: string;
  /** The audience of access tokens (default `sparkden`). */
  audience?: string;
  /** The public FHIR base URL (default: the request's origin + `/fhir`). */
  fhirBaseUrl?: string;
  /** An external OIDC issuer whose tokens are accepted too. */
  oidc?: OidcOptions;
  /**
   * Least time between two re-reads of the shared key files (signing keys, field keyring)
   * in `keysDir`, in milliseconds; default 5000.
   */
  keyReloadIntervalMs?: number;
  /** The field-encryption keyring; loaded from (or created in) `keysDir` when absent. */
  fieldKey?: FieldKeyring;
  /** Device readings for Observation reads (the alerting engine's vitals store). */
  vitals?: VitalsSource;
  sessions?: SessionTimeouts;
  /** Access token lifetime in seconds (default 300). */
  accessTtlSeconds?: number;
  lockout?: UserDirectoryOptions;
  /** How long bulk export jobs and their files live, in seconds (default 24 h). */
  exportTtlSeconds?: number;
  /** Extra action → roles entries for {@link Gateway.authorize}. */
  actions?: Record<string, readonly Role[]>;
  /** Middleware run on every request before any route (e.g. HTTP metrics by route). */
  middleware?: readonly MiddlewareHandler[];
}

/** A composed gateway; see {@link createGateway}. */
export interface Gateway {
  app: Hono<GatewayEnv>;
  /**
   * The clinical resources, decrypted through the gateway's own field cipher (which follows a
   * rotated keyring): for the parts the hub composes (billing's patients, visits).
   */
  repo: FhirRepository;
  /** Creates or upgrades the `auth`, `audit` and `clinical` schemas; purges expired exports. */
  migrate(): Promise<void>;
  /**
   * Mounts another router (alerting console API, billing, fleet) under `path`; call it
   * before the first request (`CONFLICT` after).
   */
  mount(path: string, subApp: Hono<any>): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Verifies an access token (for the console's socket.io handshake). */
  authenticateToken(token: string): Promise<Caller>;
  /**
   * Serves another part's financial resources (Claim, ClaimResponse, ExplanationOfBenefit)
   * read-only through the FHIR API, its access checks and audit; call it before the first
   * request.
   */
  registerFhirSource(source: FhirSource): void;
  /** Authorizes one action of a mounted router; see {@link createAuthorize}. */
  authorize: Authorize;
  /** Appends an audit record (alerting's lifecycle events, sign-ins elsewhere). */
  audit: AuditFn;
  verifyAuditChain(): Promise<ChainReport>;
  /** Creates the demo users and data once; returns their credentials. */
  seedDemoUsers(options?: SeedDemoOptions): Promise<DemoUser[]>;
  /** Patient → care units, for syncing to the alerting engine. */
  listPatientUnits(): ReturnType<CareDirectory['listPatientUnits']>;
  setPatientUnit(patientId: string, unit: string): Promise<void>;
  users: UserDirectory;
  clients: ClientRegistry;
  /** Publishes a new signing key, signing after `activateInMs`; the previous ones still verify. */
  rotateSigningKey(options?: RotateOptions): Promise<string>;
  /** Makes published signing keys that do not sign yet sign now; returns the newest's id. */
  activateSigningKey(): Promise<string | undefined>;
  /** Makes a new field key and re-seals every stored value; returns how many. */
  rotateFieldKey(): Promise<number>;
  /** Waits for background work (bulk exports) and writes the audit head checkpoint. */
  close(): Promise<void>;
}

/**
 * Builds the gateway: the built-in IdP and external OIDC, RBAC/ABAC, the audit trail and
 * the FHIR R4 API on one Hono app, with hooks for the rest of the hub.
 *
 * @example
 * ```ts
 * const gateway = await createGateway({ db, logger, keysDir: '.data/keys', issuer: url });
 * await gateway.migrate();
 * serve({ fetch: gateway.app.fetch, port: 8080 });
 * ```
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  if (!/^https?:\/\//.test(options.issuer)) {
    throw new TypeError('"issuer" must be an http(s) URL');
  }

  const { db } = options;
  const issuer = options.issuer.replace(/\/$/, '');
  const audience = options.audience ?? 'sparkden';
  const logger = options.logger ?? pino({ level: 'silent' });
  const reloadIntervalMs = options.keyReloadIntervalMs;
  const keys = await SigningKeys.load(options.keysDir, { reloadIntervalMs });
  const auditKey = await loadOrCreateSecret(options.keysDir, 'audit-hmac', 32);
  const ringDir = options.fieldKey === undefined ? options.keysDir : undefined;
  const cipher = new FieldCipher(options.fieldKey ?? (await loadKeyring(options.keysDir)), {
    refresh:
      ringDir === undefined
        ? undefined
        : createKeyringReloader(ringDir, { minIntervalMs: reloadIntervalMs }),
  });
  const trail = new AuditTrail(db, auditKey, { checkpointDir: options.keysDir });
  const audit: AuditFn = (event) => trail.append(event);
  const care = new CareDirectory(db);
  const policy = new AccessPolicy(care);
  const sessions = new SessionStore(db, options.sessions);
  const users = new UserDirectory(db, cipher, options.lockout);
  const clients = new ClientRegistry(db);
  const external = options.oidc === undefined ? undefined : new ExternalIssuer(options.oidc);
  const authenticate = createAuthenticator({ keys, sessions, issuer, audience, external });
  const tokens = new TokenIssuer(keys, sessions, {
    issuer,
    audience,
    accessTtlSeconds: options.accessTtlSeconds ?? 300,
  });
  const codes = new AuthorizationCodes(db);
  const authService = new AuthService({ users, clients, codes, sessions, tokens, audit });
  const repo = new FhirRepository(db, cipher);
  const fhir = new FhirService({ repo, policy, audit, vitals: options.vitals });
  const exporter = new BulkExporter(db, fhir, {
    cipher,
    ttlSeconds: options.exportTtlSeconds,
  });
  const bearer = requireBearer(authenticate, audit);
  const fhirBaseUrl = options.fhirBaseUrl ?? `${issuer}/fhir`;
  loadDefinitions();

  const app = new Hono<GatewayEnv>();
  app.use('*', requestContext(logger));
  for (const handler of options.middleware ?? []) {
    app.use('*', handler);
  }
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.route('/', wellKnownRoutes(keys, issuer));
  app.route('/', authRoutes(authService, bearer, fhirBaseUrl));
  app.route(
    '/fhir',
    fhirRoutes({ fhir, cipher, exporter, bearer, issuer, baseUrl: options.fhirBaseUrl }),
  );
  const verify = () => verifyAuditChainAt(db, auditKey, options.keysDir);
  app.route('/audit', auditRoutes({ db, bearer, audit, verify }));

  return {
    app,
    async migrate() {
      await runMigrations(db, { schema: 'audit', migrations: auditMigrations });
      await runMigrations(db, { schema: 'auth', migrations: authMigrations });
      await runMigrations(db, { schema: 'clinical', migrations: clinicalMigrations });
      const sealedNow = await sealClearIdentifying(db, cipher);
      if (sealedNow > 0) {
        logger.info({ rows: sealedNow }, 'identifying fields stored in clear were sealed');
      }
      await exporter.purgeExpired();
    },
    mount(path, subApp) {
      try {
        app.route(path, subApp);
      } catch (error) {
        // Hono builds its matcher on the first request; routes are fixed from then on.
        throw new GatewayError('CONFLICT', 'mount() must be called before the first request', {
          cause: error,
        });
      }
    },
    authenticateToken: authenticate,
    registerFhirSource: (source) => fhir.sources.register(source),
    authorize: createAuthorize({ authenticate, policy, audit, actions: options.actions }),
    audit,
    verifyAuditChain: verify,
    seedDemoUsers: (seed) => seedDemo({ users, clients, repo, care, audit }, seed),
    repo,
    listPatientUnits: () => care.listPatientUnits(),
    setPatientUnit: (patientId, unit) => care.setPatientUnit(patientId, unit),
    users,
    clients,
    rotateSigningKey: (rotation) => keys.rotate(rotation),
    activateSigningKey: () => keys.activate(),
    async rotateFieldKey() {
      cipher.replaceRing(await rotateKeyringFile(options.keysDir, cipher.ring));

      return resealStale(db, cipher);
    },
    async close() {
      await exporter.idle();
      await trail.checkpoint();
    },
  };
}
