export * from './migrations.js';
export * from './partitions.js';
export * from './queries.js';
export { encodeCopyText, toObservationRow, WRITE_COLUMNS, type AlarmRow } from './rows.js';
export * from './vitals-store.js';
export * from './write-batch.js';
