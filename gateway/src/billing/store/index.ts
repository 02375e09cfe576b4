export * from './billed-services.js';
export * from './billing-store.js';
export * from './eligibility-store.js';
export * from './ledger-store.js';
export * from './migrations.js';
export * from './post-remittance.js';
export * from './rows.js';
