export * from './agent-identity.js';
export * from './hub-broker.js';
export * from './topic-policy.js';
