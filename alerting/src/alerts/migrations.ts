import type { Database, Migration } from '../db/index.js';
import { runMigrations } from '../db/index.js';
import { DEFAULT_CADENCE_MS } from '../rules/defaults.js';

/**
 * The `alerting` schema: alerts and their append-only event log (whose `cursor` orders the
 * console replay), silences, care units, patient profiles, rules and overrides, the memory
 * rules keep across restarts, device last-seen, and the webhook and audit outboxes.
 */
export const ALERTING_MIGRATIONS: readonly Migration[] = [
  {
    name: '0001-alerts',
    up: (q) =>
      q.exec(`
        create table alerting.alerts (
          id uuid primary key,
          fingerprint text not null,
          rule_id text not null,
          rule_kind text not null,
          patient_id text not null,
          code text not null,
          unit text not null,
          severity text not null,
          status text not null check (status in ('firing', 'acknowledged', 'resolved')),
          title text not null,
          explanation jsonb not null,
          raised_at timestamptz not null,
          updated_at timestamptz not null,
          occurrences int not null default 1,
          acknowledged_at timestamptz,
          acknowledged_by text,
          resolved_at timestamptz,
          resolved_by text,
          resolution text,
          cleared_at timestamptz,
          non_actionable boolean not null default false,
          non_actionable_by text,
          non_actionable_at timestamptz,
          non_actionable_reason text,
          escalation jsonb
        );
        create unique index alerts_open_fingerprint on alerting.alerts (fingerprint)
          where status <> 'resolved';
        create index alerts_patient on alerting.alerts (patient_id, raised_at desc);
        create index alerts_unit on alerting.alerts (unit, raised_at desc);
        create index alerts_open on alerting.alerts (status) where status <> 'resolved';

        create table alerting.alert_events (
          cursor bigserial primary key,
          alert_id uuid not null references alerting.alerts (id),
          at timestamptz not null,
          kind text not null,
          actor text not null,
          patient_id text not null,
          unit text not null,
          detail jsonb not null default '{}',
          snapshot jsonb not null
        );
        create index alert_events_unit on alerting.alert_events (unit, cursor);
        create index alert_events_alert on alerting.alert_events (alert_id, cursor);

        create table alerting.silences (
          id uuid primary key,
          unit text,
          patient_id text,
          rule_id text,
          code text,
          starts_at timestamptz not null,
          ends_at timestamptz not null,
          created_by text not null,
          created_at timestamptz not null,
          reason text,
          check (ends_at > starts_at),
          check (unit is not null or patient_id is not null)
        );
        create index silences_active on alerting.silences (ends_at);

        create table alerting.patient_units (
          patient_id text primary key,
          unit text not null,
          updated_by text not null,
          updated_at timestamptz not null
        );

        create table alerting.patient_profiles (
          patient_id text primary key,
          spo2_scale int not null default 1 check (spo2_scale in (1, 2)),
          on_oxygen boolean not null default false,
          consciousness text not null default 'A' check (consciousness in ('A','C','V','P','U')),
          conditions text[] not null default '{}',
          updated_by text not null,
          updated_at timestamptz not null
        );

        create table alerting.rules (
          id text primary key,
          kind text not null,
          definition jsonb not null,
          version int not null default 1,
          updated_by text not null,
          updated_at timestamptz not null
        );

        create table alerting.rule_overrides (
          rule_id text not null references alerting.rules (id) on delete cascade,
          patient_id text not null,
          params jsonb not null,
          set_by text not null,
          set_at timestamptz not null,
          reason text,
          primary key (rule_id, patient_id)
        );

        create table alerting.config_events (
          id bigserial primary key,
          at timestamptz not null,
          actor text not null,
          action text not null,
          entity text not null,
          patient_id text,
          detail jsonb not null default '{}'
        );

        create table alerting.rule_memory (
          patient_id text not null,
          code text not null,
          kind text not null check (kind in ('latest', 'sample')),
          observation_id text not null,
          at timestamptz not null,
          reading jsonb not null,
          primary key (patient_id, code, kind, observation_id)
        );

        create table alerting.device_last_seen (
          device_id text primary key,
          patient_id text not null,
          code text not null,
          last_at timestamptz not null,
          cadence_ms int
        );

        create table alerting.webhook_outbox (
          id bigserial primary key,
          target text not null,
          body text not null,
          attempts int not null default 0,
          next_attempt_at timestamptz not null,
          status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
          last_error text,
          created_at timestamptz not null,
          delivered_at timestamptz
        );
        create table alerting.webhook_cursor (
          name text primary key,
          cursor bigint not null
        );
        create index webhook_outbox_due on alerting.webhook_outbox (next_attempt_at)
          where status = 'pending';
      `),
  },
  {
    // A cadence may be set before a device is first seen; a device keeps every code it
    // reports; fresh no-data rules get default cadences (a rule someone edited is kept).
    name: '0002-device-cadence',
    up: (q) =>
      q.exec(`
        create table alerting.device_cadence (
          device_id text primary key,
          cadence_ms int not null check (cadence_ms > 0),
          set_by text not null,
          set_at timestamptz not null
        );
        insert into alerting.device_cadence (device_id, cadence_ms, set_by, set_at)
          select device_id, cadence_ms, 'system', now() from alerting.device_last_seen
          where cadence_ms is not null;
        alter table alerting.device_last_seen drop column cadence_ms;
        alter table alerting.device_last_seen add column codes text[] not null default '{}';
        update alerting.device_last_seen set codes = array[code];
        alter table alerting.device_last_seen drop column code;
        update alerting.rules
          set definition = jsonb_set(definition, '{defaultCadenceMs}',
            '${JSON.stringify(DEFAULT_CADENCE_MS)}'::jsonb)
          where kind = 'stale' and updated_by = 'system'
            and definition -> 'defaultCadenceMs' = '{}'::jsonb;
      `),
  },
  {
    // Audit records waiting for the audit sink, oldest first: a transition's record is
    // written in the transition's own statement, and leaves only once the sink took it.
    name: '0003-audit-outbox',
    up: (q) =>
      q.exec(`
        create table alerting.audit_outbox (
          id bigserial primary key,
          record jsonb not null,
          attempts int not null default 0,
          next_attempt_at timestamptz not null,
          last_error text,
          created_at timestamptz not null
        );
      `),
  },
  {
    // The acknowledger's display name beside their id, as the caller knew it then; rows
    // acknowledged before have none, and consoles fall back to not naming anyone.
    name: '0004-acknowledger-name',
    up: (q) => q.exec('alter table alerting.alerts add column acknowledged_by_name text;'),
  },
  {
    // The hub's queue gauges count dead webhook rows on every scrape; without an index of
    // their own that count read past every delivered row the outbox keeps.
    name: '0005-webhook-dead-index',
    up: (q) =>
      q.exec(`create index if not exists webhook_outbox_dead on alerting.webhook_outbox (id)
        where status = 'dead';`),
  },
];

/**
 * Brings the `alerting` schema up to date.
 *
 * @example
 * ```ts
 * await migrateAlerting(db);
 * ```
 */
export function migrateAlerting(db: Database): Promise<string[]> {
  return runMigrations(db, { schema: 'alerting', migrations: ALERTING_MIGRATIONS });
}
