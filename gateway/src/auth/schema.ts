import type { Migration } from '@sparkden/alerting';

/** The `auth` schema: users, OAuth clients, sessions, refresh tokens and authorization codes. */
export const authMigrations: readonly Migration[] = [
  {
    name: '0001-identity',
    up: (q) =>
      q.exec(`
        create table auth.users (
          id text primary key,
          username text not null unique,
          password_hash text not null,
          role text not null,
          units text[] not null default '{}',
          patient_id text,
          practitioner_id text,
          totp_sealed text,
          totp_last_step int8 not null default 0,
          failed_attempts int not null default 0,
          locked_until timestamptz,
          disabled boolean not null default false,
          created_at timestamptz not null default now()
        );
        create table auth.clients (
          id text primary key,
          secret_hash text,
          redirect_uris text[] not null default '{}',
          scopes text[] not null default '{}',
          units text[] not null default '{}',
          created_at timestamptz not null default now()
        );
        create table auth.sessions (
          id text primary key,
          user_id text,
          client_id text,
          scopes text[] not null,
          created_at timestamptz not null default now(),
          last_seen_at timestamptz not null default now(),
          expires_at timestamptz not null,
          revoked_at timestamptz,
          revoked_reason text
        );
        create table auth.refresh_tokens (
          token_hash text primary key,
          session_id text not null references auth.sessions (id),
          created_at timestamptz not null default now(),
          used_at timestamptz
        );
        create index refresh_tokens_session on auth.refresh_tokens (session_id);
        create table auth.codes (
          code_hash text primary key,
          client_id text not null,
          user_id text not null,
          redirect_uri text not null,
          scopes text[] not null,
          challenge text not null,
          expires_at timestamptz not null,
          used_at timestamptz
        );
      `),
  },
];
