import type { Database, Queryable } from '@sparkden/alerting';
import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import type { Logger } from 'pino';

import {
  BillingService,
  BillingStore,
  createBillingRoutes,
  loadBillingConfig,
  type DeviceDay,
  type DeviceDaysSource,
  type PatientDirectory,
} from '../billing/index.js';
import type { Gateway } from '../gateway.js';
import type { GatewayEnv } from '../http/env.js';
import { sqlCommunications } from './billing-communications.js';
import { billingFhirSource } from './billing-fhir.js';

const DEMO_CONFIG = new URL('./billing-demo-config.json', import.meta.url);

/** What {@link mountBilling} needs from the hub. */
export interface MountBillingOptions {
  gateway: Gateway;
  db: Database;
  /** Payer contracts and fee schedules (JSON); the demo practice's when absent. */
  configFile?: string;
  /** Where patient demographics and coverage come from, for claims. */
  patients: PatientDirectory;
  /** The practice's IANA time zone: device, visit and message days count in it (default UTC). */
  timeZone?: string;
  logger: Logger;
}

/**
 * Device days straight from the vitals store: one row per calendar day (in the practice's
 * zone) and device with at least one reading, which is what the RPM supply codes count.
 * Counts what `VitalsStore.deviceDays` counts: readings entered in error never do.
 */
export function sqlDeviceDays(db: Queryable, timeZone = 'UTC'): DeviceDaysSource {
  return {
    async deviceDays(patientId, from, to) {
      const { rows } = await db.query<{ day: string; device_id: string; readings: number }>(
        `select to_char((effective_at at time zone $4)::date, 'YYYY-MM-DD') as day,
                device_id, count(*)::int8 as readings
           from vitals.observation
          where patient = $1
            and effective_at >= ($2::date)::timestamp at time zone $4
            and effective_at < ($3::date + 1)::timestamp at time zone $4
            and status <> 'entered-in-error'
          group by 1, 2
          order by 1, 2`,
        [patientId, from, to, timeZone],
      );

      return rows.map((r): DeviceDay => ({
        day: r.day,
        deviceId: r.device_id,
        readings: r.readings,
      }));
    },
  };
}

/**
 * Mounts the billing API at `/api/billing`: RPM and telehealth coding from the device data,
 * the minutes ledger, claims out as X12 837P, remittances and eligibility in; and serves
 * claims as FHIR `Claim`, `ClaimResponse` and `ExplanationOfBenefit` (read, search).
 *
 * @throws {BillingError} `INVALID_CONFIG` naming each bad field of the configuration.
 */
export async function mountBilling(options: MountBillingOptions): Promise<BillingService> {
  const raw = readFileSync(options.configFile ?? DEMO_CONFIG, 'utf8');
  const config = loadBillingConfig(JSON.parse(raw) as unknown);
  const store = await BillingStore.open({ db: options.db });
  const service = new BillingService({
    store,
    config,
    deviceDays: sqlDeviceDays(options.db, options.timeZone),
    patients: options.patients,
    // Reconciled from the clinical store whenever the month's minutes or codes are read.
    communications: sqlCommunications(options.db, options.timeZone),
    timeZone: options.timeZone,
  });
  const { gateway } = options;
  gateway.registerFhirSource(billingFhirSource(store));
  gateway.mount(
    '/api/billing',
    createBillingRoutes({
      service,
      authorize: async (c, action, scope) => {
        const caller = await gateway.authorize(c, `billing.${action}`, scope);
        // Kept for the audit record below, which names the caller's real role.
        (c as Context<GatewayEnv>).set('caller', caller);

        return caller;
      },
      audit: async (c, record) => {
        const vars = c.var as Partial<GatewayEnv['Variables']>;
        await gateway.audit({
          action: `billing.${record.action}`,
          actor: { sub: record.actor, role: vars.caller?.role ?? 'billing' },
          resource: record.claimId === undefined ? 'Claim' : `Claim/${record.claimId}`,
          patientId: record.patientId,
          outcome: record.outcome,
          purpose: 'HPAYMT',
          source: vars.clientAddress,
          requestId: vars.requestId,
        });
      },
    }),
  );
  options.logger.child({ module: 'hub:billing' }).info('billing mounted at /api/billing');

  return service;
}
