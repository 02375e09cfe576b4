export * from './errors.js';
export * from './ingest.js';
export * from './validate.js';
export * from './trace-context.js';
export * from './agent-batch.js';
