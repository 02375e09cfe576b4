export * from './agent-identity.js';
export * from './agent-links.js';
export * from './hub-broker.js';
export * from './mosquitto-fixture.js';
export * from './redis-backplane.js';
export * from './topic-policy.js';
export * from './upstream-link.js';
