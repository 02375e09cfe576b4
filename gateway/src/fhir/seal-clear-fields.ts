import type { Database } from '@sparkden/alerting';

import type { FieldCipher } from '../crypto/field-cipher.js';
import { openIdentifying, sealIdentifying } from './protect.js';
import { IDENTIFYING_FIELDS, PERSON_TYPES, type Resource } from './resource-types.js';

interface ClearRow {
  resource_type: string;
  id: string;
  version: number;
  content: Resource | string;
  sealed: string | null;
}

/**
 * Seals identifying fields that stored person resources still hold in clear: versions written
 * before a field joined {@link IDENTIFYING_FIELDS} (contacts and photos did later than names).
 * Runs at start, after the migrations; each row is rewritten in one statement, and a current
 * row only if no write changed it meanwhile. Returns how many rows it sealed.
 *
 * @example
 * ```ts
 * const n = await sealClearIdentifying(db, cipher);
 * ```
 */
export async function sealClearIdentifying(db: Database, cipher: FieldCipher): Promise<number> {
  let count = 0;
  for (const table of ['resources', 'history'] as const) {
    const { rows } = await db.query<ClearRow>(
      `select resource_type, id, version, content, sealed from clinical.${table}
       where resource_type = any($1::text[]) and content ?| $2::text[]`,
      [PERSON_TYPES, IDENTIFYING_FIELDS],
    );
    for (const row of rows) {
      const content =
        typeof row.content === 'string' ? (JSON.parse(row.content) as Resource) : row.content;
      const whole = openIdentifying(cipher, { clear: content, sealed: row.sealed });
      const { clear, sealed } = sealIdentifying(cipher, whole);
      const result = await db.query(
        `update clinical.${table} set content = $1, sealed = $2
         where resource_type = $3 and id = $4 and version = $5`,
        [JSON.stringify(clear), sealed, row.resource_type, row.id, row.version],
      );
      count += result.rowCount ?? 0;
    }
  }

  return count;
}
