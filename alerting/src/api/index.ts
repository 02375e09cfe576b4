export * from './alert-routes.js';
export * from './errors.js';
export * from './principal.js';
