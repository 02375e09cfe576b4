export * from './billing-store.js';
export * from './ledger-store.js';
export * from './migrations.js';
export * from './post-remittance.js';
export * from './rows.js';
