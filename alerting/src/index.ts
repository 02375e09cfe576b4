/**
 * `@sparkden/alerting`: the hub's MQTT broker for agents, ingest into the vitals store,
 * the rule engine, the alert lifecycle and the console push. Also the database access
 * and migrations every hub part shares.
 */
export * from './db/index.js';
