import type { Migration } from '@sparkden/alerting';

/** The `billing` schema, in order. Names never change once released. */
export const billingMigrations: readonly Migration[] = [
  {
    name: '0001-ledger',
    up: (q) =>
      q.exec(`
        create table billing.episodes (
          id text primary key,
          patient_id text not null,
          start_day date not null,
          end_day date,
          check (end_day is null or end_day >= start_day)
        );
        create index on billing.episodes (patient_id);
        create table billing.minutes (
          id text primary key,
          patient_id text not null,
          clinician_id text not null,
          occurred_at timestamptz not null,
          day date not null,
          minutes numeric(6,2) not null check (minutes > 0 and minutes <= 1440),
          kind text not null check (kind in ('video', 'audio', 'message', 'review')),
          interaction_evidence text,
          visit_id text,
          billed_separately boolean not null default false
        );
        create index on billing.minutes (patient_id, day);
        create table billing.visits (
          visit_id text primary key,
          patient_id text not null,
          clinician_id text not null,
          started_at timestamptz not null,
          ended_at timestamptz not null,
          duration_minutes numeric(6,2) not null check (duration_minutes >= 0),
          video boolean not null,
          patient_location text not null check (patient_location in ('home', 'other')),
          new_patient boolean not null
        );
        create index on billing.visits (patient_id, started_at);
      `),
  },
  {
    name: '0002-claims',
    up: (q) =>
      q.exec(`
        -- [X12.5 ISA13 / X12.6 GS06: nine digits, never reused] a sequence is never rolled back
        create sequence billing.x12_control minvalue 1 maxvalue 999999999 no cycle;
        create sequence billing.claim_number minvalue 1 no cycle;
        create table billing.claims (
          id text primary key,
          patient_id text not null,
          payer_id text not null,
          status text not null check (status in
            ('ready', 'submitted', 'paid', 'partially-paid', 'denied', 'reversed')),
          total_cents int8 not null check (total_cents > 0),
          paid_cents int8 not null default 0,
          patient_responsibility_cents int8 not null default 0,
          payer_claim_number text,
          claim jsonb not null,
          suggestions jsonb not null default '[]',
          created_at timestamptz not null,
          updated_at timestamptz not null
        );
        create index on billing.claims (patient_id);
        create index on billing.claims (status);
        create table billing.submissions (
          interchange_control int8 primary key,
          claim_id text not null references billing.claims (id),
          x12 text not null,
          created_at timestamptz not null
        );
        create index on billing.submissions (claim_id);
      `),
  },
  {
    name: '0003-remittances',
    up: (q) =>
      q.exec(`
        create table billing.remittances (
          id bigserial primary key,
          trace_number text not null,
          payer_tin text not null,
          payment_cents int8 not null,
          payment_date date not null,
          received_at timestamptz not null,
          raw text not null,
          unique (payer_tin, trace_number)
        );
        create table billing.payments (
          id bigserial primary key,
          remittance_id int8 not null references billing.remittances (id),
          claim_id text not null references billing.claims (id),
          claim_status text not null,
          charge_cents int8 not null,
          paid_cents int8 not null,
          patient_responsibility_cents int8 not null,
          payer_claim_number text
        );
        create table billing.adjustments (
          id bigserial primary key,
          payment_id int8 not null references billing.payments (id),
          line_ref text,
          procedure_code text,
          group_code text not null,
          reason_code text not null,
          amount_cents int8 not null
        );
        create table billing.worklist (
          id bigserial primary key,
          kind text not null check (kind in ('denial', 'partial', 'reversal', 'unmatched', 'eligibility')),
          claim_id text,
          remittance_id int8 references billing.remittances (id),
          reason text not null,
          details jsonb not null default '{}',
          created_at timestamptz not null,
          resolved_at timestamptz,
          resolved_by text
        );
        create index on billing.worklist (resolved_at);
      `),
  },
  {
    name: '0004-claim-status-history',
    up: (q) =>
      q.exec(`
        -- Every status a payer reported for a claim (277 STC), and what it moved the claim to.
        create table billing.claim_status_history (
          id bigserial primary key,
          claim_id text not null references billing.claims (id),
          source text not null,
          category text not null,
          code text not null,
          entity text,
          status_date date,
          previous_status text not null,
          new_status text not null,
          recorded_at timestamptz not null
        );
        create index on billing.claim_status_history (claim_id, id);
      `),
  },
];
