/**
 * `@sparkden/gateway`: the hub's Hono front door. The built-in identity provider (argon2id,
 * TOTP, rotating refresh tokens), external OIDC and SMART on FHIR, RBAC/ABAC, the
 * hash-chained audit trail, and the FHIR R4 API.
 *
 * @example
 * ```ts
 * import { createGateway } from '@sparkden/gateway';
 * const gateway = await createGateway({ db, logger, keysDir, issuer: 'http://localhost:8080' });
 * await gateway.migrate();
 * ```
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export {
  ACTION_ROLES,
  rolesForAction,
  type Authorize,
  type AuthorizeTarget,
} from './access/authorize.js';
export { isRole, type Caller } from './access/principal.js';
export { toAuditEvent } from './audit/audit-event.js';
export type { AuditFn, AuditInput, AuditOutcome, AuditRecord } from './audit/trail.js';
export { verifyAuditChain, type ChainBreak, type ChainReport } from './audit/verify.js';
export { runVerifyAuditCli, type VerifyAuditCliOptions } from './audit/verify-cli.js';
export { currentTotp } from './auth/totp.js';
export type { OidcOptions, MappedClaims } from './auth/oidc.js';
export type { DemoUser, SeedDemoOptions } from './demo.js';
export { createKeyring, type FieldKeyring } from './crypto/field-cipher.js';
export { loadOrCreateSecret } from './crypto/secrets.js';
export { GatewayError, toOperationOutcome, type GatewayErrorCode } from './errors.js';
export {
  sqlVitalsSource,
  toVitalSignsObservation,
  type VitalsQuery,
  type VitalsSource,
} from './fhir/vitals.js';
export type { GatewayEnv } from './http/env.js';
export { startHub, type Hub, type StartHubOptions } from './hub.js';
