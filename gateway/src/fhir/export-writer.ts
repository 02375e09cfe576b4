import type { Queryable } from '@sparkden/alerting';

import type { FieldCipher } from '../crypto/field-cipher.js';
import type { Resource } from './resource-types.js';

/** How many lines an export file holds at most. */
export const LINES_PER_FILE = 10_000;

/** The sealing context of one export file: the job and the file's number. */
export function exportFileContext(jobId: string, n: number): string {
  return `Export/${jobId}/${n}`;
}

/**
 * Buffers one type's NDJSON lines of a bulk export and writes them as numbered files of
 * at most {@link LINES_PER_FILE} lines to `clinical.export_files`, each body sealed with
 * the field cipher (PHI is never at rest in clear), and remembers every patient written.
 *
 * @example
 * ```ts
 * const writer = new ExportWriter(db, cipher, jobId);
 * await writer.add('Patient', patient, patient.id);
 * await writer.flush();
 * ```
 */
export class ExportWriter {
  readonly patients = new Set<string>();
  readonly #db: Queryable;
  readonly #cipher: FieldCipher;
  readonly #jobId: string;
  #type = '';
  #lines: string[] = [];
  #n = 0;

  constructor(db: Queryable, cipher: FieldCipher, jobId: string) {
    this.#db = db;
    this.#cipher = cipher;
    this.#jobId = jobId;
  }

  /** Adds one resource; a new type or a full file starts the next file. */
  async add(type: string, resource: Resource, patientId: string | null | undefined) {
    if (type !== this.#type || this.#lines.length >= LINES_PER_FILE) {
      await this.flush();
      this.#type = type;
    }

    this.#lines.push(JSON.stringify(resource));
    if (patientId !== null && patientId !== undefined) {
      this.patients.add(patientId);
    }
  }

  /** Writes the buffered lines, if any, as one sealed file. */
  async flush(): Promise<void> {
    if (this.#lines.length === 0) {
      return;
    }

    this.#n += 1;
    const body = this.#lines.join('\n') + '\n';
    const sealed = this.#cipher.seal(body, exportFileContext(this.#jobId, this.#n));
    await this.#db.query(
      'insert into clinical.export_files (job_id, n, resource_type, count, body) values ($1, $2, $3, $4, $5)',
      [this.#jobId, this.#n, this.#type, this.#lines.length, sealed],
    );
    this.#lines = [];
  }
}
