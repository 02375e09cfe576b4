/**
 * `@sparkden/alerting`: the hub's MQTT broker for agents, ingest into the vitals store,
 * the rule engine, the alert lifecycle and the console push. Also the database access
 * and migrations every hub part shares.
 */
export * from './db/index.js';
export * from './broker/index.js';
export * from './fleet/index.js';
export * from './ingest/index.js';
export * from './pki/index.js';
export * from './service.js';
export * from './store/index.js';
export * from './alerts/index.js';
export * from './api/index.js';
export {
  attachConsole,
  type ConsoleNamespace,
  type ConsoleOptions,
  type CommandReply,
} from './console/console-namespace.js';
