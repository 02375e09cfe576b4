import { randomUUID } from 'node:crypto';

import type { Database, Queryable } from '@sparkden/alerting';

import type { FieldCipher } from '../crypto/field-cipher.js';
import { GatewayError } from '../errors.js';
import { indexEntriesOf } from './index-values.js';
import { openIdentifying, sealIdentifying } from './protect.js';
import { patientOf, type Resource } from './resource-types.js';

/** A stored row of `clinical.resources` or `clinical.history`. */
export interface StoredRow {
  resource_type: string;
  id: string;
  version: number;
  last_updated: Date | string;
  deleted: boolean;
  content: Resource | string;
  sealed: string | null;
  method?: string;
  patient_id?: string | null;
}

/** One version in a resource's history. */
export interface HistoryEntry {
  resource: Resource;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  deleted: boolean;
  version: number;
  lastUpdated: string;
}

const ID = /^[A-Za-z0-9.-]{1,64}$/;

/**
 * Versioned storage of FHIR resources in the `clinical` schema: every write bumps the
 * version, keeps the old one in history, reindexes the resource for search and seals its
 * identifying fields.
 *
 * @example
 * ```ts
 * const saved = await repo.create({ resourceType: 'Condition', subject, code });
 * const again = await repo.read('Condition', saved.id);
 * ```
 */
export class FhirRepository {
  /** The database, for the search runner's read-only queries. */
  readonly db: Database;
  readonly #db: Database;
  readonly #cipher: FieldCipher;

  constructor(db: Database, cipher: FieldCipher) {
    this.db = db;
    this.#db = db;
    this.#cipher = cipher;
  }

  /** Turns a stored row back into a resource (opening sealed fields). */
  toResource(row: StoredRow): Resource {
    const content =
      typeof row.content === 'string' ? (JSON.parse(row.content) as Resource) : row.content;

    return openIdentifying(this.#cipher, { clear: content, sealed: row.sealed });
  }

  /** Creates a resource with a new server id. */
  create(resource: Resource): Promise<Resource> {
    const id = randomUUID();

    return this.#db.transaction(async (tx) => this.#write(tx, { ...resource, id }, 1, 'POST'));
  }

  /** Reads the current version. @throws `NOT_FOUND`, or `GONE` when deleted. */
  async read(type: string, id: string): Promise<Resource> {
    const row = await this.#current(this.#db, type, id);
    if (row === undefined) {
      throw new GatewayError('NOT_FOUND', `${type}/${id} not found`);
    }
    if (row.deleted) {
      throw new GatewayError('GONE', `${type}/${id} was deleted`);
    }

    return this.toResource(row);
  }

  /** The patient a stored resource belongs to, without opening it; `null` when none. */
  async ownerOf(type: string, id: string): Promise<{ patientId: string | null } | undefined> {
    const row = await this.#current(this.#db, type, id);

    return row === undefined ? undefined : { patientId: row.patient_id ?? null };
  }

  /** The stored current row (deleted or not), for a read that checks access first. */
  async current(type: string, id: string): Promise<StoredRow | undefined> {
    return this.#current(this.#db, type, id);
  }

  /** Opens a current row from {@link current}. @throws `GONE` when it is a deletion. */
  open(row: StoredRow): Resource {
    if (row.deleted) {
      throw new GatewayError('GONE', `${row.resource_type}/${row.id} was deleted`);
    }

    return this.toResource(row);
  }

  /** Reads one version. */
  async vread(type: string, id: string, version: number): Promise<Resource> {
    const { rows } = await this.#db.query<StoredRow>(
      'select * from clinical.history where resource_type = $1 and id = $2 and version = $3',
      [type, id, version],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new GatewayError('NOT_FOUND', `${type}/${id}/_history/${version} not found`);
    }
    if (row.deleted) {
      throw new GatewayError('GONE', `${type}/${id}/_history/${version} is a deletion`);
    }

    return this.toResource(row);
  }

  /**
   * Replaces a resource (creating it under the client's id when absent). With `ifMatch`,
   * the current version must equal it [FHIR R4 http: managing resource contention].
   */
  async update(
    resource: Resource,
    options: { ifMatch?: number | undefined; method?: 'PUT' | 'PATCH' } = {},
  ): Promise<{ resource: Resource; created: boolean }> {
    const id = resource.id ?? '';
    if (!ID.test(id)) {
      throw new GatewayError('INVALID', 'resource id must be 1-64 of [A-Za-z0-9.-]');
    }

    return this.#db.transaction(async (tx) => {
      const current = await this.#current(tx, resource.resourceType, id, true);
      if (options.ifMatch !== undefined && current?.version !== options.ifMatch) {
        throw new GatewayError('PRECONDITION_FAILED', `version ${options.ifMatch} is not current`);
      }
      const version = (current?.version ?? 0) + 1;
      const saved = await this.#write(tx, resource, version, options.method ?? 'PUT');

      return { resource: saved, created: current === undefined || current.deleted };
    });
  }

  /** Deletes a resource (a new, deleted version); deleting twice is a no-op. */
  async delete(type: string, id: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const current = await this.#current(tx, type, id, true);
      if (current === undefined || current.deleted) {
        return;
      }
      const version = current.version + 1;
      const now = new Date().toISOString();
      await tx.query(
        `update clinical.resources set version = $3, last_updated = $4, deleted = true
         where resource_type = $1 and id = $2`,
        [type, id, version, now],
      );
      await tx.query(
        `insert into clinical.history values ($1, $2, $3, $4, true, 'DELETE', $5, null)`,
        [type, id, version, now, JSON.stringify({ resourceType: type, id })],
      );
      await tx.query('delete from clinical.search_index where resource_type = $1 and id = $2', [
        type,
        id,
      ]);
    });
  }

  /** Every version of a resource, newest first. */
  async history(type: string, id: string, count = 100): Promise<HistoryEntry[]> {
    const { rows } = await this.#db.query<StoredRow>(
      `select * from clinical.history where resource_type = $1 and id = $2
       order by version desc limit $3`,
      [type, id, count],
    );
    if (rows.length === 0) {
      throw new GatewayError('NOT_FOUND', `${type}/${id} not found`);
    }

    return rows.map((row) => ({
      resource: row.deleted ? { resourceType: type, id } : this.toResource(row),
      method: (row.method ?? 'PUT') as HistoryEntry['method'],
      deleted: row.deleted,
      version: row.version,
      lastUpdated: new Date(row.last_updated).toISOString(),
    }));
  }

  async #current(q: Queryable, type: string, id: string, lock = false) {
    const { rows } = await q.query<StoredRow>(
      `select * from clinical.resources where resource_type = $1 and id = $2${lock ? ' for update' : ''}`,
      [type, id],
    );

    return rows[0];
  }

  async #write(tx: Queryable, input: Resource, version: number, method: string): Promise<Resource> {
    const lastUpdated = new Date().toISOString();
    const meta = { ...(input.meta ?? {}), versionId: String(version), lastUpdated };
    const resource: Resource = { ...input, meta };
    const { clear, sealed } = sealIdentifying(this.#cipher, resource);
    const content = JSON.stringify(clear);
    const type = resource.resourceType;
    const id = resource.id as string;
    await tx.query(
      `insert into clinical.resources values ($1, $2, $3, $4, false, $5, $6, $7)
       on conflict (resource_type, id) do update set version = excluded.version,
         last_updated = excluded.last_updated, deleted = false,
         patient_id = excluded.patient_id, content = excluded.content, sealed = excluded.sealed`,
      [type, id, version, lastUpdated, patientOf(resource) ?? null, content, sealed],
    );
    await tx.query('insert into clinical.history values ($1, $2, $3, $4, false, $5, $6, $7)', [
      type,
      id,
      version,
      lastUpdated,
      method,
      content,
      sealed,
    ]);
    await this.#reindex(tx, resource);

    return resource;
  }

  async #reindex(tx: Queryable, resource: Resource): Promise<void> {
    const type = resource.resourceType;
    const id = resource.id as string;
    await tx.query('delete from clinical.search_index where resource_type = $1 and id = $2', [
      type,
      id,
    ]);
    const entries = indexEntriesOf(this.#cipher, resource);
    if (entries.length === 0) {
      return;
    }
    await tx.query(
      `insert into clinical.search_index (resource_type, id, param, sys, code, num, lo, hi)
       select $1, $2, * from unnest($3::text[], $4::text[], $5::text[], $6::numeric[],
         $7::timestamptz[], $8::timestamptz[])`,
      [
        type,
        id,
        entries.map((e) => e.param),
        entries.map((e) => e.sys),
        entries.map((e) => e.code),
        entries.map((e) => e.num),
        entries.map((e) => e.lo),
        entries.map((e) => e.hi),
      ],
    );
  }
}
