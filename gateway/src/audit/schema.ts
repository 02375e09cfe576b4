import type { Migration } from '@sparkden/alerting';

/**
 * The `audit` schema: one append-only, hash-chained table plus the chain head. UPDATE,
 * DELETE and TRUNCATE are revoked and, for roles that keep them (owners, superusers),
 * rejected by triggers, so only a deliberate superuser bypass can change a row, and the
 * verifier catches that.
 */
export const auditMigrations: readonly Migration[] = [
  {
    name: '0001-events',
    up: (q) =>
      q.exec(`
        create table audit.events (
          seq int8 primary key,
          at timestamptz not null,
          action text not null,
          actor_sub text,
          actor_role text,
          resource text,
          patient_id text,
          outcome text not null,
          purpose text,
          source text,
          request_id text,
          detail jsonb not null default '{}'::jsonb,
          prev_hash text not null,
          hash text not null
        );
        create index events_patient on audit.events (patient_id, seq);
        create index events_at on audit.events (at);
        create table audit.head (
          one bool primary key default true check (one),
          seq int8 not null,
          hash text not null
        );
        create function audit.reject_change() returns trigger language plpgsql as $$
        begin
          raise exception 'audit records are append-only' using errcode = '42501';
        end $$;
        create trigger events_append_only before update or delete on audit.events
          for each row execute function audit.reject_change();
        create trigger events_no_truncate before truncate on audit.events
          for each statement execute function audit.reject_change();
        revoke update, delete, truncate on audit.events from public;
      `),
  },
  {
    // The head only moves forward: cutting the tail now needs the triggers switched off
    // as well, and the signed checkpoint outside the database still shows it.
    name: '0002-head-forward-only',
    up: (q) =>
      q.exec(`
        create function audit.head_forward_only() returns trigger language plpgsql as $$
        begin
          if tg_op <> 'UPDATE' or new.seq < old.seq
            or (new.seq = old.seq and new.hash <> old.hash) then
            raise exception 'the audit head only moves forward' using errcode = '42501';
          end if;
          return new;
        end $$;
        create trigger head_forward_only before update or delete on audit.head
          for each row execute function audit.head_forward_only();
        create trigger head_no_truncate before truncate on audit.head
          for each statement execute function audit.reject_change();
        revoke delete, truncate on audit.head from public;
      `),
  },
];
