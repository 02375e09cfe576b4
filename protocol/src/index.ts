/**
 * `@sparkden/protocol`: the edge↔hub contract. The observation model and its codes,
 * the messages on each topic, the topic names and the sealed envelope.
 *
 * @example
 * ```ts
 * import { createObservation, sealJson, agentTopic } from '@sparkden/protocol';
 * ```
 */
export * from './codes.js';
export * from './envelope.js';
export * from './errors.js';
export * from './glucose-context.js';
export * from './keys.js';
export * from './messages.js';
export * from './observation.js';
export * from './topics.js';
