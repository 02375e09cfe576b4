/**
 * Spark Den billing: RPM and telehealth coding from the hub's own data, claims as FHIR and
 * X12 005010 (837P out; 835, 271, 277 in; 270, 276 out), payment posting and the clerk's
 * worklist. Mount {@link createBillingRoutes} at `/api/billing`.
 */
export * from './claim.js';
export * from './coding/index.js';
export * from './config.js';
export * from './errors.js';
export * from './fhir.js';
export * from './npi.js';
export * from './outcome.js';
export * from './patients.js';
export * from './routes.js';
export * from './service.js';
export * from './store/index.js';
export * from './x12-exchanges.js';
export * from './x12/index.js';
