export * from './agent-request.js';
export * from './certificate-authority.js';
export * from './errors.js';
export * from './hub-pki.js';
export { normalizeSerial } from './pem.js';
