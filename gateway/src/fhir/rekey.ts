import type { Database } from '@sparkden/alerting';

import type { FieldCipher } from '../crypto/field-cipher.js';

/**
 * Re-seals every identifying-field value (current and historical versions, and TOTP
 * secrets) still under an old key with the active key. Run after a key rotation; once it
 * returns, old keys can be retired. Returns how many values it re-sealed.
 *
 * @example
 * ```ts
 * const n = await resealStale(db, cipher);
 * ```
 */
export async function resealStale(db: Database, cipher: FieldCipher): Promise<number> {
  const prefix = `v1.${cipher.activeKeyId}.%`;
  let count = 0;
  for (const table of ['resources', 'history'] as const) {
    const key = table === 'history' ? ', version' : '';
    const { rows } = await db.query<{
      resource_type: string;
      id: string;
      version?: number;
      sealed: string;
    }>(
      `select resource_type, id${key}, sealed from clinical.${table} where sealed is not null and sealed not like $1`,
      [prefix],
    );
    for (const row of rows) {
      const context = `${row.resource_type}/${row.id}`;
      const sealed = cipher.seal(cipher.open(row.sealed, context), context);
      const where = table === 'history' ? ' and version = $4' : '';
      const params = [
        sealed,
        row.resource_type,
        row.id,
        ...(table === 'history' ? [row.version] : []),
      ];
      await db.query(
        `update clinical.${table} set sealed = $1 where resource_type = $2 and id = $3${where}`,
        params,
      );
      count += 1;
    }
  }
  const users = await db.query<{ id: string; totp_sealed: string }>(
    'select id, totp_sealed from auth.users where totp_sealed is not null and totp_sealed not like $1',
    [prefix],
  );
  for (const user of users.rows) {
    const context = `totp:${user.id}`;
    const sealed = cipher.seal(cipher.open(user.totp_sealed, context), context);
    await db.query('update auth.users set totp_sealed = $1 where id = $2', [sealed, user.id]);
    count += 1;
  }

  return count;
}
