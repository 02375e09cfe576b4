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
  {
    name: '0005-billed-services',
    up: (q) =>
      q.exec(`
        -- What each claim bills, so a service is claimed once whatever the payer. The slot
        -- groups codes that may not both be billed for one period: supply (99454 or 99445)
        -- and setup (99453) per 30-day period; tm (99457 or 99470) and tm-add (99458) per
        -- calendar month; em per visit. released_at frees a row when its claim is denied or
        -- reversed, so the service can be billed again.
        create table billing.billed_services (
          id bigserial primary key,
          claim_id text not null references billing.claims (id),
          patient_id text not null,
          code text not null,
          slot text not null check (slot in ('setup', 'supply', 'tm', 'tm-add', 'em')),
          service_key text not null,
          period_from date not null,
          period_to date not null,
          created_at timestamptz not null,
          released_at timestamptz
        );
        create unique index billed_services_once on billing.billed_services
          (patient_id, slot, service_key) where released_at is null;
        create index on billing.billed_services (claim_id);
        -- claims made before this table: what they bill, first claim first
        insert into billing.billed_services (claim_id, patient_id, code, slot, service_key,
          period_from, period_to, created_at)
        select c.id, c.patient_id, s->>'code',
          case s->>'code' when '99453' then 'setup' when '99454' then 'supply'
            when '99445' then 'supply' when '99457' then 'tm' when '99470' then 'tm'
            when '99458' then 'tm-add' else 'em' end,
          case when s->>'code' in ('99453', '99454', '99445', '99457', '99470', '99458')
            then s->'period'->>'from'
            else coalesce(s->'sources'->>0, (s->>'code') || '@' || (s->'period'->>'from')) end,
          (s->'period'->>'from')::date, (s->'period'->>'to')::date, c.created_at
        from billing.claims c cross join lateral jsonb_array_elements(c.suggestions) s
        where c.status not in ('denied', 'reversed')
        order by c.created_at, c.id
        on conflict do nothing;
      `),
  },
  {
    name: '0006-eligibility-requests',
    up: (q) =>
      q.exec(`
        -- Each 270 sent, under its TRN02, so the 271 that echoes it finds the patient.
        create table billing.eligibility_requests (
          trace_number text primary key,
          patient_id text not null,
          payer_id text not null,
          member_id text not null,
          service_date date not null,
          interchange_control int8 not null,
          created_at timestamptz not null,
          responded_at timestamptz,
          active boolean,
          response jsonb
        );
        create index on billing.eligibility_requests (patient_id);
      `),
  },
  {
    name: '0007-payment-lines',
    up: (q) =>
      q.exec(`
        -- [X12 835 2110 SVC] what the payer paid per service line
        create table billing.payment_lines (
          id bigserial primary key,
          payment_id int8 not null references billing.payments (id),
          line_ref text,
          procedure_code text not null,
          charge_cents int8 not null,
          paid_cents int8 not null,
          units numeric(9,3) not null
        );
        create index on billing.payment_lines (payment_id);
      `),
  },
];
