import type { Alert, AlertEngine, VitalsStore } from '@sparkden/alerting';
import { VITAL_CODES, type VitalCode } from '@sparkden/protocol';
import type { VitalsAlert, VitalsReading, VitalsSource } from '@sparkden/sfu';

const PANEL_SEVERITY: Record<string, VitalsAlert['severity']> = {
  info: 'low',
  low: 'low',
  'low-medium': 'medium',
  medium: 'medium',
  high: 'high',
  urgent: 'critical',
};

function toReading(v: {
  code: string;
  value: number;
  unit: string | null;
  effectiveAt: Date;
}): VitalsReading {
  const info = VITAL_CODES[v.code as VitalCode] as (typeof VITAL_CODES)[VitalCode] | undefined;

  return {
    code: info?.loinc ?? v.code,
    label: info?.display ?? v.code,
    value: v.value,
    unit: v.unit ?? info?.unit ?? '',
    effectiveAt: v.effectiveAt.toISOString(),
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

/**
 * The live vitals panel of a visit, fed from the alerting side: a snapshot of the latest
 * value per code and the open alerts, then each newer reading (polled from the vitals store
 * every `pollMs`) and each alert change as the engine emits it.
 */
export function alertingVitalsSource(
  store: VitalsStore,
  engine: AlertEngine,
  pollMs = 2000,
): VitalsSource {
  return {
    async subscribe(patientRef, sink) {
      const patientId = patientRef.replace(/^Patient\//, '');
      const openAlerts =
        engine.openByPatient().find((p) => p.patientId === patientId)?.alerts ?? [];
      const latest = await store.latest([patientId]);
      const seen = new Map(latest.map((v) => [v.code, v.effectiveAt.getTime()]));
      sink.snapshot({
        patientRef,
        readings: latest.map(toReading),
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
      const timer = setInterval(() => {
        void store.latest([patientId]).then(
          (values) => {
            for (const v of values) {
              if ((seen.get(v.code) ?? 0) < v.effectiveAt.getTime()) {
                seen.set(v.code, v.effectiveAt.getTime());
                sink.reading(toReading(v));
              }
            }
          },
          () => undefined,
        );
      }, pollMs);

      return () => {
        clearInterval(timer);
        engine.off('alertEvent', onAlert);
      };
    },
  };
}
