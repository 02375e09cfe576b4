import type { Database } from '../db/index.js';
import {
  queryDeviceActivity,
  queryDeviceDays,
  queryLatestValues,
  querySeries,
  type DeviceActivity,
  type DeviceDays,
  type DeviceDaysQuery,
  type LatestValue,
  type SeriesBucket,
  type SeriesQuery,
} from './queries.js';
import { maintainPartitions, type PartitionInterval, type PartitionReport } from './partitions.js';
import { applyTimescalePolicies } from './timescale-policies.js';
import {
  markBatchEvaluated,
  writeBatch,
  type PendingBatch,
  type WriteBatchInput,
  type WriteResult,
} from './write-batch.js';

/** How `vitals.observation` is split in time. */
export type VitalsLayout = 'partitions' | 'timescale';

/** Options of {@link VitalsStore}. */
export interface VitalsStoreOptions {
  /** Native partitions created ahead of now (default 4). */
  partitionsAhead?: number;
  /** TimescaleDB: compress chunks older than this many days (default 7). */
  compressAfterDays?: number;
  /** Drop readings older than this many days (default: keep). Both layouts. */
  retentionDays?: number;
}

/**
 * The vitals store over schema `vitals` (run {@link createVitalsMigrations} first): batch
 * writes that ignore duplicates, the queries the console, the rule engine and billing
 * need, and upkeep of partitions or TimescaleDB policies.
 *
 * @example
 * ```ts
 * const store = await VitalsStore.open(db, { retentionDays: 3650 });
 * await store.write({ agentId: 'agent-1', observations });
 * await store.latest(['p-1']);
 * ```
 */
export class VitalsStore {
  readonly db: Database;
  readonly layout: VitalsLayout;
  readonly #interval: PartitionInterval;
  readonly #options: VitalsStoreOptions;

  private constructor(
    db: Database,
    layout: VitalsLayout,
    interval: PartitionInterval,
    options: VitalsStoreOptions,
  ) {
    this.db = db;
    this.layout = layout;
    this.#interval = interval;
    this.#options = options;
  }

  /** Reads the layout the migration chose and brings partitions or policies up to date. */
  static async open(db: Database, options: VitalsStoreOptions = {}): Promise<VitalsStore> {
    const { rows } = await db.query<{ key: string; value: string }>(
      'select key, value from vitals.setting',
    );
    const settings = new Map(rows.map((r) => [r.key, r.value]));
    const layout = settings.get('layout') as VitalsLayout | undefined;
    if (layout === undefined) {
      throw new Error('schema "vitals" is not migrated (no layout in vitals.setting)');
    }

    const interval = (settings.get('partition_interval') ?? 'week') as PartitionInterval;
    const store = new VitalsStore(db, layout, interval, options);
    await store.maintain();

    return store;
  }

  /**
   * Native layout: creates partitions ahead, rehomes stray rows, applies retention.
   * TimescaleDB: sets compression, retention and aggregate refresh policies when the
   * configuration changed since they were last set.
   */
  async maintain(now = new Date()): Promise<PartitionReport | undefined> {
    if (this.layout === 'timescale') {
      await applyTimescalePolicies(this.db, {
        compressAfterDays: this.#options.compressAfterDays ?? 7,
        retentionDays: this.#options.retentionDays,
      });

      return undefined;
    }

    return this.db.transaction((tx) =>
      maintainPartitions(tx, {
        interval: this.#interval,
        now,
        ahead: this.#options.partitionsAhead,
        retentionDays: this.#options.retentionDays,
      }),
    );
  }

  /** Writes a batch in one transaction; resolves after the commit. */
  write(input: WriteBatchInput): Promise<WriteResult> {
    return writeBatch(this.db, input);
  }

  /** Deletes the unevaluated marker of a batch written with `pending`, once it is evaluated. */
  markEvaluated(agentId: string, batch: PendingBatch): Promise<void> {
    return markBatchEvaluated(this.db, agentId, batch);
  }

  /** The newest value per code per patient. */
  latest(patients: string[], codes?: string[]): Promise<LatestValue[]> {
    return queryLatestValues(this.db, patients, codes);
  }

  /** A downsampled range for charts. */
  series(query: SeriesQuery): Promise<SeriesBucket[]> {
    return querySeries(this.db, query, this.layout === 'timescale');
  }

  /** Distinct days with readings per patient and device, for billing. */
  deviceDays(query: DeviceDaysQuery): Promise<DeviceDays[]> {
    return queryDeviceDays(this.db, query);
  }

  /** Each device's newest reading times, for no-data rules. */
  deviceActivity(filter?: { patient?: string; silentSince?: Date }): Promise<DeviceActivity[]> {
    return queryDeviceActivity(this.db, filter);
  }
}
