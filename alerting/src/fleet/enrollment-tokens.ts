import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { Queryable } from '../db/index.js';
import { FleetError } from './errors.js';

/** A freshly issued one-time token. The clear `token` is shown once and never stored. */
export interface IssuedToken {
  id: string;
  token: string;
  expiresAt: Date;
}

const PREFIX = 'sdt_';

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Issues a one-time enrollment token (256 random bits); only its SHA-256 is stored. */
export async function issueToken(
  q: Queryable,
  input: { createdBy: string; label?: string; expiresAt: Date },
): Promise<IssuedToken> {
  const id = randomUUID();
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  await q.query(
    `insert into fleet.enrollment_token (id, token_hash, label, created_by, expires_at)
     values ($1, $2, $3, $4, $5)`,
    [id, hashToken(token), input.label ?? null, input.createdBy, input.expiresAt.toISOString()],
  );

  return { id, token, expiresAt: input.expiresAt };
}

/**
 * Marks a token used by `agentId`, atomically: of two enrollments racing with one token,
 * exactly one wins. Run it in the enrollment's transaction so a failed enrollment gives
 * the token back.
 *
 * @throws {FleetError} `TOKEN_INVALID`, `TOKEN_EXPIRED` or `TOKEN_USED`.
 */
export async function consumeToken(
  q: Queryable,
  token: string,
  agentId: string,
  now: Date,
): Promise<string> {
  const hash = hashToken(token);
  const { rows } = await q.query<{ id: string }>(
    `update fleet.enrollment_token set used_at = $3, agent_id = $2
     where token_hash = $1 and used_at is null and expires_at > $3
     returning id`,
    [hash, agentId, now.toISOString()],
  );
  if (rows[0] !== undefined) {
    return rows[0].id;
  }

  const { rows: found } = await q.query<{ used: boolean }>(
    'select used_at is not null as used from fleet.enrollment_token where token_hash = $1',
    [hash],
  );
  if (found[0] === undefined) {
    throw new FleetError('TOKEN_INVALID', 'unknown enrollment token');
  }
  throw found[0].used
    ? new FleetError('TOKEN_USED', 'the enrollment token was already used')
    : new FleetError('TOKEN_EXPIRED', 'the enrollment token has expired');
}
