import { randomUUID } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

import type { Caller } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import type { FhirRequest } from './context.js';
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

const LINES_PER_FILE = 10_000;
const PATIENT_TYPES = RESOURCE_TYPES.filter(
  (t) => !DIRECTORY_TYPES.includes(t) && !COHORT_TYPES.includes(t) && !FINANCIAL_TYPES.includes(t),
);

/**
 * FHIR Bulk Data export [Bulk Data Access 2.0: $export]: jobs run in the background, write
 * NDJSON files (one type per file, at most 10 000 lines each) to `clinical.export_files`,
 * and audit every exported patient. Only the caller who started a job can see it.
 *
 * @example
 * ```ts
 * const id = await exports.start(request, { types: ['Patient'], url });
 * ```
 */
export class BulkExporter {
  readonly #db: Database;
  readonly #fhir: FhirService;
  readonly #running = new Set<Promise<void>>();

  constructor(db: Database, fhir: FhirService) {
    this.#db = db;
    this.#fhir = fhir;
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

    const id = randomUUID();
    const now = new Date().toISOString();
    await this.#db.query(
      `insert into clinical.export_jobs (id, owner, status, request, transaction_time)
       values ($1, $2, 'in-progress', $3, $4)`,
      [id, req.caller.sub, request.url, now],
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

  /** A job's status; `NOT_FOUND` for another caller's job. */
  async status(caller: Caller, id: string): Promise<ExportStatus> {
    const { rows } = await this.#db.query<{
      status: ExportStatus['status'];
      transaction_time: Date;
      request: string;
      error: string | null;
    }>(
      'select status, transaction_time, request, error from clinical.export_jobs where id = $1 and owner = $2',
      [id, caller.sub],
    );
    const job = rows[0];
    if (job === undefined) {
      throw new GatewayError('NOT_FOUND', 'no such export job');
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

  /** One output file's NDJSON. */
  async file(caller: Caller, id: string, n: number): Promise<string> {
    const { rows } = await this.#db.query<{ body: string }>(
      `select f.body from clinical.export_files f join clinical.export_jobs j on j.id = f.job_id
       where f.job_id = $1 and f.n = $2 and j.owner = $3`,
      [id, n, caller.sub],
    );
    if (rows[0] === undefined) {
      throw new GatewayError('NOT_FOUND', 'no such export file');
    }

    return rows[0].body;
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
    const patients = new Set<string>();
    let n = 0;
    for (const type of request.types) {
      const sql = new SqlParams();
      const where = [`r.resource_type = ${sql.add(type)}`, 'not r.deleted'];
      const restriction = await this.#fhir.policy.searchRestriction(req.caller, type, sql);
      if (restriction !== undefined) {
        where.push(restriction);
      }
      if (members !== undefined) {
        where.push(`r.patient_id = any(${sql.add(members)}::text[])`);
      }
      if (request.since !== undefined) {
        where.push(`r.last_updated > ${sql.add(request.since.toISOString())}::timestamptz`);
      }
      const { rows } = await this.#db.query<StoredRow>(
        `select r.* from clinical.resources r where ${where.join(' and ')} order by r.id`,
        sql.values,
      );
      for (let i = 0; i < rows.length; i += LINES_PER_FILE) {
        const chunk = rows.slice(i, i + LINES_PER_FILE);
        const body =
          chunk.map((row) => JSON.stringify(this.#fhir.repo.toResource(row))).join('\n') + '\n';
        chunk.forEach((row) => row.patient_id && patients.add(row.patient_id));
        n += 1;
        await this.#db.query('insert into clinical.export_files values ($1, $2, $3, $4, $5)', [
          id,
          n,
          type,
          chunk.length,
          body,
        ]);
      }
    }
    await Promise.all(
      [...patients].map((p) =>
        this.#fhir.record(req, 'export', `Export/${id}`, p, 'success', 'HOPERAT'),
      ),
    );
    await this.#db.query(`update clinical.export_jobs set status = 'complete' where id = $1`, [id]);
  }

  async #groupMembers(req: FhirRequest, groupId: string): Promise<string[]> {
    const group = await this.#fhir.read(req, 'Group', groupId);
    const members = (group.member ?? []) as { entity?: { reference?: string } }[];

    return members
      .map((m) => /^Patient\/(.+)$/.exec(m.entity?.reference ?? '')?.[1])
      .filter((p): p is string => p !== undefined);
  }
}
