import {
  deriveSealingKey,
  type AgentConfigPush,
  type AgentStatus,
  type SealingKeyPair,
} from '@sparkden/protocol';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';

import type { Database } from '../db/index.js';
import { PkiError, type CertificateAuthority } from '../pki/index.js';
import { consumeToken, issueToken, type IssuedToken } from './enrollment-tokens.js';
import { FleetError } from './errors.js';
import { readAgents, type AgentSummary } from './agent-list.js';
import { HubKeyring } from './hub-keyring.js';
import {
  SEALING_KEY_FIELD,
  insertPendingKey,
  promoteKey,
  readAcceptedKeys,
  readKeyIdsInUse,
  readPendingKey,
  retireExpiredKeys,
  type AcceptedKey,
  type SealingKeyPush,
} from './sealing-keys.js';

/** What an agent sends to enroll. */
export interface EnrollRequest {
  token: string;
  csrPem: string;
  /** The agent's X25519 sealing public key, raw 32 bytes. */
  sealingPublicKey: Uint8Array;
  version: string;
}

/** What the hub answers an enrolled agent (the routes add `mqttUrl`). */
export interface Enrollment {
  agentId: string;
  certificatePem: string;
  caPem: string;
  hubSealingPublicKey: Uint8Array;
  keyId: number;
  config?: AgentConfigPush;
}

/** Options of {@link Fleet.open}. */
export interface FleetOptions {
  db: Database;
  ca: CertificateAuthority;
  /** The first hub sealing key (version 1). */
  hubKey: SealingKeyPair;
  /** The hub keys by version; without it, rotations keep new versions in memory only. */
  keyring?: HubKeyring;
  /** How long the previous sealing key is still accepted after a rotation (default 24 h). */
  sealingKeyGraceMs?: number;
  /** Days an agent certificate is valid (default 397). */
  certificateDays?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** Events of a {@link Fleet}. */
export interface FleetEvents {
  /** An agent was revoked: drop its connections now. */
  agentRevoked: [agentId: string];
  /** A configuration was set for an agent: push it. */
  configChanged: [agentId: string, push: AgentConfigPush];
  /** The agent sealed a frame with its new key: it is now the one `down/*` frames use. */
  sealingKeyPromoted: [agentId: string, keyId: number];
  /** A previous sealing key's grace period ended: frames under it are refused. */
  sealingKeyRetired: [agentId: string, keyId: number];
}

/** What {@link Fleet.rotateSealingKeys} started. */
export interface SealingKeyRotation {
  /** The new key id (the new hub key version). */
  keyId: number;
  /** Each agent asked to move, with the configuration version carrying the new key. */
  agents: Array<{ agentId: string; configVersion: number }>;
}

interface CachedAgent {
  serial: string;
  keyId: number;
  publicKey: Uint8Array;
  /** Key ids accepted from this agent, by id. */
  accepted: Map<number, AcceptedKey>;
  derived: Map<number, Uint8Array>;
}

/**
 * The hub's agent fleet (schema `fleet`): one-time enrollment tokens, enrollment (CSR
 * signed by the hub CA, sealing key stored), revocation that takes effect at once, status
 * and configuration. Active agents are cached in memory so the broker and ingest check
 * certificates and find sealing keys without a query.
 *
 * @example
 * ```ts
 * const fleet = await Fleet.open({ db, ca, hubKey });
 * const { token } = await fleet.createToken({ createdBy: 'it-admin-1' });
 * ```
 */
export class Fleet extends EventEmitter<FleetEvents> {
  readonly #db: Database;
  readonly #ca: CertificateAuthority;
  readonly #hubKey: SealingKeyPair;
  #keyring?: HubKeyring;
  readonly #graceMs: number;
  readonly #days: number;
  readonly #now: () => Date;
  #active = new Map<string, CachedAgent>();

  private constructor(options: FleetOptions) {
    super();
    this.#db = options.db;
    this.#ca = options.ca;
    this.#hubKey = options.hubKey;
    this.#keyring = options.keyring;
    this.#graceMs = options.sealingKeyGraceMs ?? 86_400_000;
    this.#days = options.certificateDays ?? 397;
    this.#now = options.now ?? (() => new Date());
  }

  /** Opens the fleet over a migrated `fleet` schema and loads the active agents. */
  static async open(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    fleet.#keyring ??= await HubKeyring.open({ first: options.hubKey });
    await fleet.refresh();

    return fleet;
  }

  get #ring(): HubKeyring {
    if (this.#keyring === undefined) {
      throw new TypeError('"keyring" is not loaded');
    }

    return this.#keyring;
  }

  /** The hub's newest sealing public key (raw 32 bytes), handed to agents at enrollment. */
  get hubSealingPublicKey(): Uint8Array {
    return this.#ring.get(this.#ring.latest)?.publicKey ?? this.#hubKey.publicKey;
  }

  /**
   * Reloads the active agents from the database; another hub process may have enrolled or
   * revoked one.
   */
  async refresh(): Promise<void> {
    const { rows } = await this.#db.query<{
      id: string;
      cert_serial: string;
      sealing_key_id: number;
      sealing_public_key: Uint8Array;
    }>(
      `select id, cert_serial, sealing_key_id, sealing_public_key
       from fleet.agent where state = 'active'`,
    );
    const keys = await readAcceptedKeys(this.#db);
    await this.#ring.reload();
    const next = new Map<string, CachedAgent>();
    for (const r of rows) {
      const prior = this.#active.get(r.id);
      const accepted = new Map((keys.get(r.id) ?? []).map((k) => [k.keyId, k]));
      const derived = new Map([...(prior?.derived ?? [])].filter(([id]) => accepted.has(id)));
      next.set(r.id, {
        serial: r.cert_serial,
        keyId: r.sealing_key_id,
        publicKey: new Uint8Array(r.sealing_public_key),
        accepted,
        derived,
      });
    }
    this.#active = next;
  }

  /** Issues a one-time enrollment token valid for `ttlSeconds` (default one day). */
  createToken(input: {
    createdBy: string;
    label?: string;
    ttlSeconds?: number;
    config?: Record<string, unknown>;
  }): Promise<IssuedToken> {
    const ttl = input.ttlSeconds ?? 86_400;
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 86_400) {
      throw new TypeError('"ttlSeconds" must be a whole number from 60 to 2592000');
    }

    const expiresAt = new Date(this.#now().getTime() + ttl * 1000);

    return this.#db.transaction(async (tx) => {
      const issued = await issueToken(tx, { ...input, expiresAt });
      if (input.config !== undefined) {
        await tx.query('update fleet.enrollment_token set config = $2 where id = $1', [
          issued.id,
          JSON.stringify(input.config),
        ]);
      }

      return issued;
    });
  }

  /**
   * Enrolls an agent: spends the token, certifies the CSR with a fresh agent id as CN and
   * stores the agent's sealing key. A failure leaves the token unspent.
   *
   * @throws {FleetError} `TOKEN_INVALID`, `TOKEN_EXPIRED`, `TOKEN_USED`, `BAD_REQUEST` or
   *   `CSR_REJECTED`.
   */
  async enroll(request: EnrollRequest): Promise<Enrollment> {
    if (request.sealingPublicKey.length !== 32) {
      throw new FleetError('BAD_REQUEST', 'sealingPublicKey: must be 32 raw bytes');
    }

    const agentId = `agent-${randomBytes(8).toString('hex')}`;
    const now = this.#now();
    const keyId = this.#ring.latest;
    const hubPublicKey = this.hubSealingPublicKey;
    const enrollment = await this.#db.transaction(async (tx) => {
      const tokenId = await consumeToken(tx, request.token, agentId, now);
      const cert = await this.#ca
        .signAgentCsr(request.csrPem, { agentId, validityDays: this.#days })
        .catch((cause: unknown) => {
          const why = cause instanceof PkiError ? cause.code : 'CSR_INVALID';
          throw new FleetError('CSR_REJECTED', `csrPem: ${why}`, { cause });
        });
      await tx.query(
        `insert into fleet.agent (id, version, enrolled_at, token_id, cert_serial,
                                  cert_not_after, sealing_key_id, sealing_public_key, label)
         select $1, $2, $3, $4, $5, $6, $7, $8, t.label
         from fleet.enrollment_token t where t.id = $4`,
        [
          agentId,
          request.version,
          now.toISOString(),
          tokenId,
          cert.serial,
          cert.notAfter.toISOString(),
          keyId,
          Buffer.from(request.sealingPublicKey),
        ],
      );
      await tx.query(
        `insert into fleet.sealing_key (agent_id, key_id, state, requested_by, requested_at,
                                        promoted_at)
         values ($1, $2, 'current', 'enrollment', $3, $3)`,
        [agentId, keyId, now.toISOString()],
      );
      await tx.query(
        `insert into fleet.certificate (serial, agent_id, not_before, not_after)
         values ($1, $2, $3, $4)`,
        [cert.serial, agentId, cert.notBefore.toISOString(), cert.notAfter.toISOString()],
      );
      const { rows } = await tx.query<{ config: Record<string, unknown> | null }>(
        'select config from fleet.enrollment_token where id = $1',
        [tokenId],
      );
      const config = rows[0]?.config ?? undefined;
      const push = config && (await this.#storeConfig(tx, agentId, config, 'enrollment', now));

      return { cert, push };
    });
    this.#active.set(agentId, {
      serial: enrollment.cert.serial,
      keyId,
      publicKey: new Uint8Array(request.sealingPublicKey),
      accepted: new Map([[keyId, { keyId, state: 'current' }]]),
      derived: new Map(),
    });

    return {
      agentId,
      certificatePem: enrollment.cert.pem,
      caPem: this.#ca.pem,
      hubSealingPublicKey: hubPublicKey,
      keyId,
      config: enrollment.push || undefined,
    };
  }

  /**
   * Revokes an agent: its certificate serial and sealing key stop working at once in this
   * process (the broker drops its connections on `agentRevoked`). Revoking twice is a no-op.
   *
   * @throws {FleetError} `AGENT_NOT_FOUND`.
   */
  async revoke(agentId: string, input: { by: string; reason?: string }): Promise<void> {
    const now = this.#now().toISOString();
    const { rows } = await this.#db.transaction(async (tx) => {
      const result = await tx.query<{ id: string }>(
        `update fleet.agent set state = 'revoked', revoked_at = coalesce(revoked_at, $2),
                revoked_by = coalesce(revoked_by, $3), revoke_reason = coalesce(revoke_reason, $4)
         where id = $1 returning id`,
        [agentId, now, input.by, input.reason ?? null],
      );
      await tx.query(
        `update fleet.certificate set revoked_at = coalesce(revoked_at, $2) where agent_id = $1`,
        [agentId, now],
      );

      return result;
    });
    if (rows.length === 0) {
      throw new FleetError('AGENT_NOT_FOUND', `no agent "${agentId}"`);
    }

    this.#active.delete(agentId);
    this.emit('agentRevoked', agentId);
  }

  /** Whether an agent may connect with a certificate of this serial (active, current cert). */
  isCertificateAccepted(agentId: string, serial: string): boolean {
    return this.#active.get(agentId)?.serial === serial;
  }

  /** Whether the agent is enrolled and not revoked. */
  isActive(agentId: string): boolean {
    return this.#active.has(agentId);
  }

  /**
   * The key frames of this agent and key id are sealed with, or `undefined` if the id is
   * not accepted: unknown, retired, past its grace period, or the agent is revoked.
   */
  sealingKey(agentId: string, keyId: number): Uint8Array | undefined {
    const agent = this.#active.get(agentId);
    const entry = agent?.accepted.get(keyId);
    if (agent === undefined || entry === undefined) {
      return undefined;
    }
    if (entry.state === 'grace' && (entry.graceUntil ?? 0) <= this.#now().getTime()) {
      return undefined;
    }
    const hub = this.#ring.get(keyId);
    if (hub === undefined) {
      return undefined;
    }

    let key = agent.derived.get(keyId);
    if (key === undefined) {
      key = deriveSealingKey(hub.privateKey, agent.publicKey, { agentId, keyId });
      agent.derived.set(keyId, key);
    }

    return key;
  }

  /**
   * Whether `keyId` is one this active agent used before and the hub no longer accepts:
   * frames under it are refused as `KEY_RETIRED` rather than as an unknown key.
   */
  isKeyRetired(agentId: string, keyId: number): boolean {
    const agent = this.#active.get(agentId);
    if (agent === undefined || this.sealingKey(agentId, keyId) !== undefined) {
      return false;
    }

    return keyId >= 1 && keyId < Math.max(...agent.accepted.keys());
  }

  /**
   * Tells the fleet an authenticated frame arrived under `keyId`. The first frame under a
   * pending key completes the rotation: that key becomes current and the previous one
   * enters its grace period.
   */
  async sealingKeyUsed(agentId: string, keyId: number): Promise<void> {
    const agent = this.#active.get(agentId);
    if (agent?.accepted.get(keyId)?.state !== 'pending') {
      return;
    }

    const now = this.#now();
    const graceUntil = new Date(now.getTime() + this.#graceMs);
    const promoted = await promoteKey(this.#db, { agentId, keyId, now, graceUntil });
    for (const entry of agent.accepted.values()) {
      if (entry.state === 'current') {
        agent.accepted.set(entry.keyId, { ...entry, state: 'grace', graceUntil: +graceUntil });
      } else if (entry.state === 'pending' && entry.keyId < keyId) {
        agent.accepted.delete(entry.keyId);
      }
    }
    agent.accepted.set(keyId, { keyId, state: 'current' });
    agent.keyId = keyId;
    if (promoted) {
      this.emit('sealingKeyPromoted', agentId, keyId);
    }
  }

  /**
   * Rotates the sealing key of one agent, or of every active agent: makes hub key version
   * n+1 and pushes its public key and key id in each agent's retained `down/config`, sealed
   * under the current key. Until the agent seals with the new id, both ids are accepted;
   * then the old one has a grace period ({@link FleetOptions.sealingKeyGraceMs}).
   *
   * @throws {FleetError} `AGENT_NOT_FOUND` or `AGENT_REVOKED` (with `agentId`).
   */
  async rotateSealingKeys(input: { agentId?: string; by: string }): Promise<SealingKeyRotation> {
    const one = input.agentId;
    if (one !== undefined) {
      const { rows } = await this.#db.query<{ state: string }>(
        'select state from fleet.agent where id = $1',
        [one],
      );
      if (rows[0] === undefined) {
        throw new FleetError('AGENT_NOT_FOUND', `no agent "${one}"`);
      }
      if (rows[0].state !== 'active') {
        throw new FleetError('AGENT_REVOKED', `agent "${one}" is revoked`);
      }
    }

    const { version: keyId } = await this.#ring.create();
    const now = this.#now();
    const pushes = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; config: Record<string, unknown> | null }>(
        `select a.id, c.config from fleet.agent a
         left join fleet.agent_config c on c.agent_id = a.id and c.version = a.config_version
         where a.state = 'active' and ($1::text is null or a.id = $1) order by a.id for update of a`,
        [one ?? null],
      );
      const out: Array<{ agentId: string; push: AgentConfigPush }> = [];
      for (const r of rows) {
        await insertPendingKey(tx, { agentId: r.id, keyId, by: input.by, now });
        const push = await this.#storeConfig(tx, r.id, r.config ?? {}, input.by, now);
        out.push({ agentId: r.id, push });
      }

      return out;
    });
    for (const { agentId, push } of pushes) {
      this.#active.get(agentId)?.accepted.set(keyId, { keyId, state: 'pending' });
      this.emit('configChanged', agentId, push);
    }

    return {
      keyId,
      agents: pushes.map((p) => ({ agentId: p.agentId, configVersion: p.push.version })),
    };
  }

  /**
   * Retires previous sealing keys whose grace period is over and deletes hub key versions
   * no agent needs any more.
   *
   * @returns The keys retired now.
   */
  async retireSealingKeys(): Promise<Array<{ agentId: string; keyId: number }>> {
    const retired = await retireExpiredKeys(this.#db, this.#now());
    for (const { agentId, keyId } of retired) {
      this.#active.get(agentId)?.accepted.delete(keyId);
      this.#active.get(agentId)?.derived.delete(keyId);
      this.emit('sealingKeyRetired', agentId, keyId);
    }
    await this.#ring.prune(await readKeyIdsInUse(this.#db));

    return retired;
  }

  /** The key id the hub seals `down/*` frames for this agent with. */
  currentKeyId(agentId: string): number | undefined {
    return this.#active.get(agentId)?.keyId;
  }

  /** Records an agent's heartbeat (its `configVersion` acknowledges a pushed config). */
  async recordStatus(agentId: string, status: AgentStatus): Promise<void> {
    await this.#db.query(
      `update fleet.agent set last_status = $2, last_status_at = $3, version = $4,
              config_acked_version = coalesce($5, config_acked_version)
       where id = $1`,
      [
        agentId,
        JSON.stringify(status),
        this.#now().toISOString(),
        status.version,
        status.configVersion ?? null,
      ],
    );
  }

  /** Records that the broker saw the agent connect or disconnect. */
  async recordConnection(agentId: string, connected: boolean): Promise<void> {
    const column = connected ? 'connected_at' : 'disconnected_at';
    await this.#db.query(`update fleet.agent set connected = $2, ${column} = $3 where id = $1`, [
      agentId,
      connected,
      this.#now().toISOString(),
    ]);
  }

  /**
   * Stores a new configuration version for an agent and emits `configChanged` so the broker
   * pushes it (retained) on `down/config`.
   *
   * @throws {FleetError} `AGENT_NOT_FOUND` or `AGENT_REVOKED`.
   */
  async setConfig(
    agentId: string,
    config: Record<string, unknown>,
    by: string,
  ): Promise<AgentConfigPush> {
    const now = this.#now();
    const push = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ state: string }>(
        'select state from fleet.agent where id = $1 for update',
        [agentId],
      );
      if (rows[0] === undefined) {
        throw new FleetError('AGENT_NOT_FOUND', `no agent "${agentId}"`);
      }
      if (rows[0].state !== 'active') {
        throw new FleetError('AGENT_REVOKED', `agent "${agentId}" is revoked`);
      }

      return this.#storeConfig(tx, agentId, config, by, now);
    });
    this.emit('configChanged', agentId, push);

    return push;
  }

  /** The newest configuration of each active agent, to re-push after a hub restart. */
  async latestConfigs(): Promise<Array<{ agentId: string; push: AgentConfigPush }>> {
    const { rows } = await this.#db.query<{
      agent_id: string;
      version: number;
      config: Record<string, unknown>;
      issued_at: Date | string;
    }>(
      `select c.agent_id, c.version, c.config, c.issued_at
       from fleet.agent a
       join fleet.agent_config c on c.agent_id = a.id and c.version = a.config_version
       where a.state = 'active'`,
    );

    return rows.map((r) => ({
      agentId: r.agent_id,
      push: {
        version: r.version,
        issuedAt: new Date(r.issued_at).toISOString(),
        config: r.config,
      },
    }));
  }

  /** Every agent with its state, connection, last status and configuration version. */
  listAgents(): Promise<AgentSummary[]> {
    return readAgents(this.#db);
  }

  async #storeConfig(
    tx: Pick<Database, 'query'>,
    agentId: string,
    config: Record<string, unknown>,
    by: string,
    now: Date,
  ): Promise<AgentConfigPush> {
    // A rotation waiting for this agent rides along with every configuration until done.
    const { [SEALING_KEY_FIELD]: _ignored, ...rest } = config;
    const pending = await readPendingKey(tx, agentId);
    const hub = pending === undefined ? undefined : this.#ring.get(pending);
    if (pending !== undefined && hub !== undefined) {
      const field: SealingKeyPush = {
        keyId: pending,
        hubPublicKey: Buffer.from(hub.publicKey).toString('base64url'),
      };
      config = { ...rest, [SEALING_KEY_FIELD]: field };
    } else {
      config = rest;
    }
    const { rows } = await tx.query<{ version: number }>(
      `update fleet.agent set config_version = config_version + 1 where id = $1
       returning config_version as version`,
      [agentId],
    );
    const version = rows[0].version;
    await tx.query(
      `insert into fleet.agent_config (agent_id, version, config, issued_at, issued_by)
       values ($1, $2, $3, $4, $5)`,
      [agentId, version, JSON.stringify(config), now.toISOString(), by],
    );

    return { version, issuedAt: now.toISOString(), config };
  }
}
