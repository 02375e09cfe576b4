import type { Database } from '../db/index.js';

type Query = Pick<Database, 'query'>;

/** Where a sealing key id stands for one agent. */
export type SealingKeyState = 'pending' | 'current' | 'grace' | 'retired';

/** One accepted sealing key id of an agent. */
export interface AcceptedKey {
  keyId: number;
  state: Exclude<SealingKeyState, 'retired'>;
  /** For `grace`: when it stops being accepted (ms since the epoch). */
  graceUntil?: number;
}

/** The key a rotation asks an agent to move to, carried in its `down/config`. */
export interface SealingKeyPush {
  keyId: number;
  /** The hub's X25519 public key of that version, base64url of the raw 32 bytes. */
  hubPublicKey: string;
}

/** The config field a rotation travels in; agents strip it before applying the rest. */
export const SEALING_KEY_FIELD = 'sealingKey';

/** Every non-retired key id of the active agents, by agent. */
export async function readAcceptedKeys(db: Query): Promise<Map<string, AcceptedKey[]>> {
  const { rows } = await db.query<{
    agent_id: string;
    key_id: number;
    state: AcceptedKey['state'];
    grace_until: Date | string | null;
  }>(
    `select k.agent_id, k.key_id, k.state, k.grace_until
     from fleet.sealing_key k join fleet.agent a on a.id = k.agent_id
     where a.state = 'active' and k.state <> 'retired'`,
  );
  const out = new Map<string, AcceptedKey[]>();
  for (const r of rows) {
    const list = out.get(r.agent_id) ?? [];
    list.push({
      keyId: r.key_id,
      state: r.state,
      ...(r.grace_until === null ? {} : { graceUntil: new Date(r.grace_until).getTime() }),
    });
    out.set(r.agent_id, list);
  }

  return out;
}

/** The newest pending key id of an agent, if a rotation waits for it. */
export async function readPendingKey(db: Query, agentId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ key_id: number }>(
    `select max(key_id) as key_id from fleet.sealing_key
     where agent_id = $1 and state = 'pending'`,
    [agentId],
  );

  return rows[0]?.key_id ?? undefined;
}

/** Records that `agentId` should move to `keyId`. */
export async function insertPendingKey(
  db: Query,
  input: { agentId: string; keyId: number; by: string; now: Date },
): Promise<void> {
  await db.query(
    `insert into fleet.sealing_key (agent_id, key_id, state, requested_by, requested_at)
     values ($1, $2, 'pending', $3, $4) on conflict do nothing`,
    [input.agentId, input.keyId, input.by, input.now.toISOString()],
  );
}

/**
 * Makes a pending key current: the old current enters its grace period and pending keys
 * older than it are retired (the agent skipped them).
 *
 * @returns Whether the key was pending (false: another process promoted it already).
 */
export async function promoteKey(
  db: Database,
  input: { agentId: string; keyId: number; now: Date; graceUntil: Date },
): Promise<boolean> {
  const { agentId, keyId } = input;

  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ key_id: number }>(
      `update fleet.sealing_key set state = 'current', promoted_at = $3
       where agent_id = $1 and key_id = $2 and state = 'pending' returning key_id`,
      [agentId, keyId, input.now.toISOString()],
    );
    if (rows.length === 0) {
      return false;
    }
    await tx.query(
      `update fleet.sealing_key set state = 'grace', grace_until = $3
       where agent_id = $1 and key_id <> $2 and state = 'current'`,
      [agentId, keyId, input.graceUntil.toISOString()],
    );
    await tx.query(
      `update fleet.sealing_key set state = 'retired', retired_at = $3
       where agent_id = $1 and key_id < $2 and state = 'pending'`,
      [agentId, keyId, input.now.toISOString()],
    );
    await tx.query('update fleet.agent set sealing_key_id = $2 where id = $1', [agentId, keyId]);

    return true;
  });
}

/** Retires grace keys whose period is over; returns them. */
export async function retireExpiredKeys(
  db: Query,
  now: Date,
): Promise<Array<{ agentId: string; keyId: number }>> {
  const { rows } = await db.query<{ agent_id: string; key_id: number }>(
    `update fleet.sealing_key set state = 'retired', retired_at = $1
     where state = 'grace' and grace_until <= $1 returning agent_id, key_id`,
    [now.toISOString()],
  );

  return rows.map((r) => ({ agentId: r.agent_id, keyId: r.key_id }));
}

/** The key ids (hub key versions) any agent still needs. */
export async function readKeyIdsInUse(db: Query): Promise<Set<number>> {
  const { rows } = await db.query<{ key_id: number }>(
    `select distinct key_id from fleet.sealing_key where state <> 'retired'`,
  );

  return new Set(rows.map((r) => r.key_id));
}
