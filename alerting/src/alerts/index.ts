/**
 * The alerting engine's public surface: rules, the alert lifecycle and its engine, the
 * console namespace, the webhook notifier and the HTTP routes. `alerting/src/index.ts`
 * re-exports it.
 *
 * @example
 * ```ts
 * import { AlertEngine, attachConsole, createAlertRoutes } from '@sparkden/alerting';
 * ```
 */
export * from '../rules/index.js';
export * from './alert-engine.js';
export * from './alert-store.js';
export * from './errors.js';
export * from './escalation.js';
export * from './lifecycle.js';
export * from './migrations.js';
export * from './rule-memory.js';
export * from './silences.js';
export * from './types.js';
export * from '../console/console-namespace.js';
export * from '../notify/signature.js';
export * from '../notify/webhook-notifier.js';
export * from '../api/index.js';
