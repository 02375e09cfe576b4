export * from './communications.js';
export * from './days.js';
export * from './device-supply.js';
export * from './inputs.js';
export * from './suggest-month.js';
export * from './suggestion.js';
export * from './telehealth.js';
export * from './treatment-management.js';
