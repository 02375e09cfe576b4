import { randomUUID } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

import type { Caller } from '../access/principal.js';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { GatewayError } from '../errors.js';
import type { FhirRequest } from './context.js';
import { exportReadings } from './export-readings.js';
import { ExportWriter, exportFileContext } from './export-writer.js';
import {
  COHORT_TYPES,
  DIRECTORY_TYPES,
  FINANCIAL_TYPES,
  RESOURCE_TYPES,
  isResourceType,
  type ResourceType,
} from './resource-types.js';
import type { FhirService } from './service.js';
import { SqlParams } from './search/sql-params.js';
import type { StoredRow } from './repository.js';

/** A kick-off of `$export`. */
export interface ExportRequest {
  /** `undefined` for Patient-level export; a Group id otherwise. */
  groupId?: string | undefined;
  types: ResourceType[];
  since?: Date | undefined;
  /** The kick-off URL, echoed in the manifest. */
  url: string;
}

/** A job's state, as the status endpoint reports it. */
export interface ExportStatus {
  status: 'in-progress' | 'complete' | 'error';
  transactionTime: string;
  request: string;
  error?: string;
  files: { n: number; type: string; count: number }[];
}

/** Options of {@link BulkExporter}. */
export interface BulkExporterOptions {
  /** Seals every file body at rest. */
  cipher: FieldCipher;
  /** How long a job and its files live, in seconds (default 24 h); then they are purged. */
  ttlSeconds?: number | undefined;
}

const DEFAULT_TTL_SECONDS = 24 * 60 * 60;
const PAGE = 1000;
const PATIENT_TYPES = RESOURCE_TYPES.filter(
  (t) => !DIRECTORY_TYPES.includes(t) && !COHORT_TYPES.includes(t) && !FINANCIAL_TYPES.includes(t),
);

/**
 * FHIR Bulk Data export [Bulk Data Access 2.0: $export]: jobs run in the background, write
 * NDJSON files (one type per file, at most 10 000 lines each, sealed with the field cipher)
 * to `clinical.export_files`, and audit every exported patient. Observation files include
 * each exported patient's device readings. Only the caller who started a job can see it;
 * a job and its files expire after `ttlSeconds` (410 from then on) and are purged at the
 * next kick-off or status poll, or by {@link purgeExpired}.
 *
 * @example
 * ```ts
 * const id = await exports.start(request, { types: ['Patient'], url });
 * ```
 */
export class BulkExporter {
  readonly #db: Database;
  readonly #fhir: FhirService;
  readonly #cipher: FieldCipher;
  readonly #ttlSeconds: number;
  readonly #running = new Set<Promise<void>>();

  constructor(db: Database, fhir: FhirService, options: BulkExporterOptions) {
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!(ttl > 0)) {
      throw new TypeError('"ttlSeconds" must be > 0');
    }

    this.#db = db;
    this.#fhir = fhir;
    this.#cipher = options.cipher;
    this.#ttlSeconds = ttl;
  }

  /** Deletes every expired job and its files; returns how many jobs. */
  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.#db.query(
      'delete from clinical.export_jobs where expires_at <= now()',
    );

    return rowCount ?? 0;
  }

  /** Parses `_type` (defaults to every patient-compartment type). */
  static typesOf(param: string | undefined): ResourceType[] {
    if (param === undefined || param === '') {
      return [...PATIENT_TYPES];
    }
    const types = param.split(',').map((t) => t.trim());
    // Financial types live in another part's store and are not exported.
    const unknown = types.find((t) => !isResourceType(t) || FINANCIAL_TYPES.includes(t));
    if (unknown !== undefined) {
      throw new GatewayError('INVALID', `_type names an unsupported type: ${unknown}`);
    }

    return types as ResourceType[];
  }

  /** Checks access and starts a job; returns its id. */
  async start(req: FhirRequest, request: ExportRequest): Promise<string> {
    if (req.caller.role !== 'system') {
      await this.#fhir.record(req, 'export', 'Patient', undefined, 'denied');
      throw new GatewayError('FORBIDDEN', 'bulk export is for system clients');
    }
    for (const type of request.types) {
      await this.#fhir.guard(req, 'search', type, type, undefined);
    }

    await this.purgeExpired();
    const id = randomUUID();
    const now = new Date();
    const expires = new Date(now.getTime() + this.#ttlSeconds * 1000);
    await this.#db.query(
      `insert into clinical.export_jobs (id, owner, status, request, transaction_time, expires_at)
       values ($1, $2, 'in-progress', $3, $4, $5)`,
      [id, req.caller.sub, request.url, now.toISOString(), expires.toISOString()],
    );
    await this.#fhir.record(req, 'export', `Export/${id}`, undefined, 'success', 'HOPERAT', {
      types: request.types.join(','),
      ...(request.groupId === undefined ? {} : { group: request.groupId }),
    });
    const job = this.#run(id, req, request).catch(async (error: unknown) => {
      const message = error instanceof GatewayError ? error.message : 'export failed';
      await this.#db.query(
        `update clinical.export_jobs set status = 'error', error = $2 where id = $1`,
        [id, message],
      );
    });
    this.#running.add(job);
    void job.finally(() => this.#running.delete(job));

    return id;
  }

  /** A job's status; `NOT_FOUND` for another caller's job, `GONE` once expired. */
  async status(caller: Caller, id: string): Promise<ExportStatus> {
    const { rows } = await this.#db.query<{
      status: ExportStatus['status'];
      transaction_time: Date;
      request: string;
      error: string | null;
      expired: boolean;
    }>(
      `select status, transaction_time, request, error, expires_at <= now() as expired
       from clinical.export_jobs where id = $1 and owner = $2`,
      [id, caller.sub],
    );
    const job = rows[0];
    if (job === undefined) {
      throw new GatewayError('NOT_FOUND', 'no such export job');
    }
    if (job.expired) {
      await this.purgeExpired();
      throw new GatewayError('GONE', 'the export job has expired');
    }
    const files = await this.#db.query<{ n: number; resource_type: string; count: number }>(
      'select n, resource_type, count from clinical.export_files where job_id = $1 order by n',
      [id],
    );

    return {
      status: job.status,
      transactionTime: new Date(job.transaction_time).toISOString(),
      request: job.request,
      ...(job.error === null ? {} : { error: job.error }),
      files: files.rows.map((f) => ({ n: f.n, type: f.resource_type, count: f.count })),
    };
  }

  /** One output file's NDJSON, opened; `GONE` once the job expired. */
  async file(caller: Caller, id: string, n: number): Promise<string> {
    const { rows } = await this.#db.query<{ body: string; expired: boolean }>(
      `select f.body, j.expires_at <= now() as expired from clinical.export_files f
       join clinical.export_jobs j on j.id = f.job_id
       where f.job_id = $1 and f.n = $2 and j.owner = $3`,
      [id, n, caller.sub],
    );
    const file = rows[0];
    if (file === undefined) {
      throw new GatewayError('NOT_FOUND', 'no such export file');
    }
    if (file.expired) {
      throw new GatewayError('GONE', 'the export job has expired');
    }

    return this.#cipher.open(file.body, exportFileContext(id, n));
  }

  /** Deletes a job and its files [Bulk Data: DELETE on the status URL]. */
  async remove(caller: Caller, id: string): Promise<void> {
    const { rowCount } = await this.#db.query(
      'delete from clinical.export_jobs where id = $1 and owner = $2',
      [id, caller.sub],
    );
    if (rowCount === 0) {
      throw new GatewayError('NOT_FOUND', 'no such export job');
    }
  }

  /** Waits for running jobs (for shutdown and tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  async #run(id: string, req: FhirRequest, request: ExportRequest): Promise<void> {
    const members =
      request.groupId === undefined ? undefined : await this.#groupMembers(req, request.groupId);
    const writer = new ExportWriter(this.#db, this.#cipher, id);
    for (const type of request.types) {
      await this.#exportStored(req, type, members, request.since, writer);
      await writer.flush();
      if (type === 'Observation' && this.#fhir.vitals !== undefined) {
        const patients = members ?? (await this.#visiblePatients(req));
        await exportReadings(this.#fhir.vitals, patients, request.since, writer);
        await writer.flush();
      }
    }
    await Promise.all(
      [...writer.patients].map((p) =>
        this.#fhir.record(req, 'export', `Export/${id}`, p, 'success', 'HOPERAT'),
      ),
    );
    await this.#db.query(`update clinical.export_jobs set status = 'complete' where id = $1`, [id]);
  }

  // One type's stored resources, a page at a time in id order.
  async #exportStored(
    req: FhirRequest,
    type: ResourceType,
    members: string[] | undefined,
    since: Date | undefined,
    writer: ExportWriter,
  ): Promise<void> {
    let after = '';
    for (;;) {
      const sql = new SqlParams();
      const where = [`r.resource_type = ${sql.add(type)}`, 'not r.deleted'];
      const restriction = await this.#fhir.policy.searchRestriction(req.caller, type, sql);
      if (restriction !== undefined) {
        where.push(restriction);
      }
      if (members !== undefined) {
        where.push(`r.patient_id = any(${sql.add(members)}::text[])`);
      }
      if (since !== undefined) {
        where.push(`r.last_updated > ${sql.add(since.toISOString())}::timestamptz`);
      }
      where.push(`r.id > ${sql.add(after)}`);
      const { rows } = await this.#db.query<StoredRow>(
        `select r.* from clinical.resources r where ${where.join(' and ')}
         order by r.id limit ${PAGE}`,
        sql.values,
      );
      for (const row of rows) {
        await writer.add(type, this.#fhir.repo.toResource(row), row.patient_id);
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) {
        return;
      }
      after = last.id;
    }
  }

  // A Patient-level export covers every patient the caller may see.
  async #visiblePatients(req: FhirRequest): Promise<string[]> {
    const sql = new SqlParams();
    const where = [`r.resource_type = 'Patient'`, 'not r.deleted'];
    const restriction = await this.#fhir.policy.searchRestriction(req.caller, 'Patient', sql);
    if (restriction !== undefined) {
      where.push(restriction);
    }
    const { rows } = await this.#db.query<{ id: string }>(
      `select r.id from clinical.resources r where ${where.join(' and ')} order by r.id`,
      sql.values,
    );

    return rows.map((r) => r.id);
  }

  async #groupMembers(req: FhirRequest, groupId: string): Promise<string[]> {
    const group = await this.#fhir.read(req, 'Group', groupId);
    const members = (group.member ?? []) as { entity?: { reference?: string } }[];

    return members
      .map((m) => /^Patient\/(.+)$/.exec(m.entity?.reference ?? '')?.[1])
      .filter((p): p is string => p !== undefined);
  }
}
