import type { Migration } from '../db/index.js';

/**
 * The migrations of schema `fleet`: agents, their certificates, one-time enrollment tokens
 * (only a SHA-256 of each is kept) and the configurations pushed to agents.
 *
 * @example
 * ```ts
 * await runMigrations(db, { schema: 'fleet', migrations: fleetMigrations });
 * ```
 */
export const fleetMigrations: readonly Migration[] = [
  {
    name: '0001-agents',
    up: (q) =>
      q.exec(`
create table fleet.enrollment_token (
  id uuid primary key,
  token_hash bytea not null unique,
  label text,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  agent_id text,
  config jsonb
);
create table fleet.agent (
  id text primary key,
  state text not null default 'active' check (state in ('active', 'revoked')),
  label text,
  version text,
  enrolled_at timestamptz not null default now(),
  token_id uuid references fleet.enrollment_token (id),
  revoked_at timestamptz,
  revoked_by text,
  revoke_reason text,
  cert_serial text not null,
  cert_not_after timestamptz not null,
  sealing_key_id integer not null,
  sealing_public_key bytea not null,
  connected boolean not null default false,
  connected_at timestamptz,
  disconnected_at timestamptz,
  last_status jsonb,
  last_status_at timestamptz,
  config_version integer not null default 0,
  config_acked_version integer
);
create table fleet.certificate (
  serial text primary key,
  agent_id text not null references fleet.agent (id),
  not_before timestamptz not null,
  not_after timestamptz not null,
  revoked_at timestamptz
);
create table fleet.agent_config (
  agent_id text not null references fleet.agent (id),
  version integer not null,
  config jsonb not null,
  issued_at timestamptz not null default now(),
  issued_by text not null,
  primary key (agent_id, version)
);`),
  },
  {
    // A sealing key id is the version of the hub key it was agreed with. 'pending': pushed,
    // not yet used by the agent; 'current': what the hub seals down frames with; 'grace':
    // the previous current, accepted until grace_until; 'retired': refused.
    name: '0002-sealing-key-rotation',
    up: (q) =>
      q.exec(`
create table fleet.sealing_key (
  agent_id text not null references fleet.agent (id),
  key_id integer not null,
  state text not null check (state in ('pending', 'current', 'grace', 'retired')),
  requested_by text not null,
  requested_at timestamptz not null default now(),
  promoted_at timestamptz,
  grace_until timestamptz,
  retired_at timestamptz,
  primary key (agent_id, key_id)
);
insert into fleet.sealing_key (agent_id, key_id, state, requested_by, requested_at, promoted_at)
select id, sealing_key_id, 'current', 'enrollment', enrolled_at, enrolled_at from fleet.agent;`),
  },
];
