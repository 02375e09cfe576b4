import type { Migration } from '@sparkden/alerting';

/**
 * The `clinical` schema: current resources, every version, the search index, the
 * patient→care unit mapping and bulk export jobs. Identifying fields live only in `sealed`.
 */
export const clinicalMigrations: readonly Migration[] = [
  {
    name: '0001-resources',
    up: (q) =>
      q.exec(`
        create table clinical.resources (
          resource_type text not null,
          id text not null,
          version int not null,
          last_updated timestamptz not null,
          deleted boolean not null default false,
          patient_id text,
          content jsonb not null,
          sealed text,
          primary key (resource_type, id)
        );
        create index resources_patient on clinical.resources (patient_id, resource_type);
        create index resources_updated on clinical.resources (resource_type, last_updated);
        create table clinical.history (
          resource_type text not null,
          id text not null,
          version int not null,
          last_updated timestamptz not null,
          deleted boolean not null,
          method text not null,
          content jsonb not null,
          sealed text,
          primary key (resource_type, id, version)
        );
        create table clinical.search_index (
          resource_type text not null,
          id text not null,
          param text not null,
          sys text,
          code text,
          num numeric,
          lo timestamptz,
          hi timestamptz
        );
        create index search_code on clinical.search_index (resource_type, param, code);
        create index search_date on clinical.search_index (resource_type, param, lo, hi);
        create index search_owner on clinical.search_index (resource_type, id);
        create table clinical.patient_units (
          patient_id text not null,
          unit text not null,
          primary key (patient_id, unit)
        );
        create table clinical.export_jobs (
          id text primary key,
          owner text not null,
          status text not null,
          request text not null,
          transaction_time timestamptz not null,
          error text,
          created_at timestamptz not null default now()
        );
        create table clinical.export_files (
          job_id text not null references clinical.export_jobs (id) on delete cascade,
          n int not null,
          resource_type text not null,
          count int not null,
          body text not null,
          primary key (job_id, n)
        );
      `),
  },
  {
    // Export files are sealed from now on and expire; files written in clear before are
    // dropped rather than left at rest.
    name: '0002-export-expiry',
    up: (q) =>
      q.exec(`
        delete from clinical.export_jobs;
        alter table clinical.export_jobs add column expires_at timestamptz not null;
        create index export_jobs_expiry on clinical.export_jobs (expires_at);
      `),
  },
];
