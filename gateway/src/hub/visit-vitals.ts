import type { Alert, AlertEngine, LatestValue, VitalsStore } from '@sparkden/alerting';
import { VITAL_CODES, loincFor, type VitalCode } from '@sparkden/protocol';
import type { VitalsAlert, VitalsReader, VitalsReading, VitalsSource } from '@sparkden/sfu';
import { pino, type Logger } from 'pino';

import type { AuditInput } from '../audit/trail.js';

const PANEL_SEVERITY: Record<string, VitalsAlert['severity']> = {
  info: 'low',
  low: 'low',
  'low-medium': 'medium',
  medium: 'medium',
  high: 'high',
  urgent: 'critical',
};

/** How far back the trend looks: the panel's contract is "direction over the last hour". */
export const TREND_WINDOW_MS = 60 * 60_000;

/**
 * The smallest change, in the code's preferred UCUM unit, that counts as rising or falling;
 * anything smaller is measurement noise for a home device. A code without an entry here, or a
 * reading in another unit, uses {@link TREND_RELATIVE_STEP} of the baseline instead.
 */
export const TREND_STEP: Partial<Record<VitalCode, number>> = {
  'heart-rate': 5,
  spo2: 2,
  'bp-systolic': 5,
  'bp-diastolic': 5,
  'bp-mean': 5,
  'body-temp': 0.3,
  'body-weight': 0.5,
  glucose: 10,
  'resp-rate': 2,
};

/** The relative step (3 %) for codes or units {@link TREND_STEP} does not cover. */
export const TREND_RELATIVE_STEP = 0.03;

/**
 * The trend of a reading: the newest value against the mean of the same code's readings in
 * the hour before it. A difference of at least the code's step is `rising` or `falling`, a
 * smaller one `steady`; with no earlier reading in the hour there is no trend.
 *
 * @example
 * trendOf('heart-rate', '/min', 96, 80); // 'rising'
 * trendOf('spo2', '%', 96, 97); // 'steady'
 */
export function trendOf(
  code: string,
  unit: string | null,
  value: number,
  baseline: number | undefined,
): VitalsReading['trend'] {
  if (baseline === undefined || !Number.isFinite(baseline)) {
    return undefined;
  }

  const info = VITAL_CODES[code as VitalCode] as (typeof VITAL_CODES)[VitalCode] | undefined;
  const absolute = TREND_STEP[code as VitalCode];
  const canonical = unit === null || unit === info?.unit;
  const step =
    absolute !== undefined && canonical ? absolute : Math.abs(baseline) * TREND_RELATIVE_STEP;
  const delta = value - baseline;

  return delta >= step ? 'rising' : -delta >= step ? 'falling' : 'steady';
}

// Count-weighted mean of the readings in the hour before `v` (the newest itself excluded).
async function baselineOf(store: VitalsStore, v: LatestValue): Promise<number | undefined> {
  const to = v.effectiveAt;
  const from = new Date(to.getTime() - TREND_WINDOW_MS);
  const buckets = await store.series({
    patient: v.patient,
    code: v.code,
    from,
    to,
    bucketSeconds: TREND_WINDOW_MS / 1000,
  });
  const count = buckets.reduce((n, b) => n + Number(b.count), 0);

  return count === 0 ? undefined : buckets.reduce((s, b) => s + b.avg * Number(b.count), 0) / count;
}

async function toReading(store: VitalsStore, v: LatestValue): Promise<VitalsReading> {
  const info = VITAL_CODES[v.code as VitalCode] as (typeof VITAL_CODES)[VitalCode] | undefined;
  const trend = trendOf(v.code, v.unit, v.value, await baselineOf(store, v));

  return {
    // The LOINC code follows the unit (glucose in mmol/L is 15074-8, not 2339-0).
    code: info ? loincFor(v.code as VitalCode, v.unit ?? undefined).loinc : v.code,
    label: info?.display ?? v.code,
    value: v.value,
    unit: v.unit ?? info?.unit ?? '',
    effectiveAt: v.effectiveAt.toISOString(),
    ...(trend === undefined ? {} : { trend }),
  };
}

function toAlert(a: Alert): VitalsAlert {
  return {
    id: a.id,
    severity: PANEL_SEVERITY[a.severity] ?? 'medium',
    title: a.title,
    status: a.status === 'acknowledged' ? 'acknowledged' : 'open',
    raisedAt: a.raisedAt,
  };
}

/** Options of {@link alertingVitalsSource}. */
export interface AlertingVitalsSourceOptions {
  /** How often the vitals store is polled for newer readings. Default 2 s. */
  pollMs?: number;
  /** Where a failed poll is reported (opaque ids only). Default silent. */
  logger?: Logger;
  /**
   * Records each feed opened on a patient (a PHI read) in the audit trail; resolves once the
   * record is committed. A read whose record cannot be written is refused.
   */
  audit?: (record: AuditInput) => Promise<void>;
}

/**
 * The audit record of a live-vitals read: who (the host), which patient, for which visit,
 * with the purpose of use treatment (`TREAT`) in the context of the video visit.
 */
export function auditFromVitalsRead(reader: VitalsReader, patientId: string): AuditInput {
  return {
    action: 'visit.vitals.read',
    actor: { sub: reader.userId, role: reader.role },
    resource: `Patient/${patientId}`,
    patientId,
    outcome: 'success',
    purpose: 'TREAT',
    detail: { context: 'visit', appointment: reader.appointmentId, tokenId: reader.tokenId },
  };
}

/**
 * The live vitals panel of a visit, fed from the alerting side: a snapshot of the latest
 * value per code with its trend ({@link trendOf}) and the open alerts, then each newer reading
 * (polled from the vitals store every `pollMs`) and each alert change as the engine emits it.
 *
 * @example
 * attachVitalsFeed(io, { tokenKey, source: alertingVitalsSource(store, engine) });
 */
export function alertingVitalsSource(
  store: VitalsStore,
  engine: AlertEngine,
  options: AlertingVitalsSourceOptions = {},
): VitalsSource {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'hub:visit-vitals' });

  return {
    async subscribe(patientRef, sink, reader) {
      const patientId = patientRef.replace(/^Patient\//, '');
      // [DESIGN: every read of PHI writes an audit record] before anything is read.
      await options.audit?.(auditFromVitalsRead(reader, patientId));
      const openAlerts =
        engine.openByPatient().find((p) => p.patientId === patientId)?.alerts ?? [];
      const latest = await store.latest([patientId]);
      const seen = new Map(latest.map((v) => [v.code, v.effectiveAt.getTime()]));
      sink.snapshot({
        patientRef,
        readings: await Promise.all(latest.map((v) => toReading(store, v))),
        alerts: openAlerts.filter((a) => a.status !== 'resolved').map(toAlert),
        at: new Date().toISOString(),
      });

      const onAlert = (e: { alert: Alert }) => {
        if (e.alert.patientId !== patientId) {
          return;
        }
        if (e.alert.status === 'resolved') {
          sink.alertCleared(e.alert.id);
        } else {
          sink.alert(toAlert(e.alert));
        }
      };
      engine.on('alertEvent', onAlert);
      const poll = async () => {
        for (const v of await store.latest([patientId])) {
          if ((seen.get(v.code) ?? 0) < v.effectiveAt.getTime()) {
            seen.set(v.code, v.effectiveAt.getTime());
            sink.reading(await toReading(store, v));
          }
        }
      };
      const timer = setInterval(() => {
        poll().catch((error: unknown) => log.warn({ err: error }, 'vitals poll failed'));
      }, options.pollMs ?? 2000);

      return () => {
        clearInterval(timer);
        engine.off('alertEvent', onAlert);
      };
    },
  };
}
