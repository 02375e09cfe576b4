import type { AlarmMessage } from '@sparkden/protocol';

import type { Explanation, PassThroughRule, Reading, RuleOutcome, Severity } from './types.js';

/** One alarm of an `up/alarm` message. */
export type DeviceAlarm = AlarmMessage['alarms'][number];

const ALARM_SEVERITY: Record<DeviceAlarm['severity'], Severity> = {
  info: 'info',
  warning: 'medium',
  urgent: 'urgent',
};

/**
 * Passes a device-reported alarm through as an alert, at the device's severity (`warning`
 * maps to `medium`). The alert code is the alarm's own code.
 *
 * @example
 * ```ts
 * alarmOutcome(rule, alarm).severity; // 'urgent'
 * ```
 */
export function alarmOutcome(
  rule: PassThroughRule,
  agentId: string,
  alarm: DeviceAlarm,
): RuleOutcome {
  const explanation: Explanation = {
    ruleId: rule.id,
    ruleKind: 'device-alarm',
    summary: `device alarm ${alarm.code} (${alarm.kind}, ${alarm.severity}): ${alarm.reason}`,
    thresholds: { deviceSeverity: alarm.severity, kind: alarm.kind },
    evidence: [
      {
        code: alarm.code,
        value: alarm.reason,
        at: alarm.raisedAt,
        observationId: alarm.observationId,
        deviceId: alarm.deviceId,
      },
    ],
  };

  return {
    action: 'fire',
    ruleId: rule.id,
    code: alarm.code,
    patientId: alarm.patient,
    severity: ALARM_SEVERITY[alarm.severity],
    title: `${rule.title}: ${alarm.code}`,
    explanation: { ...explanation, thresholds: { ...explanation.thresholds, agentId } },
  };
}

// [HL7 v2 table 0078] abnormal flags: critical ones and plain out-of-range ones.
const CRITICAL_FLAGS = ['LL', 'HH', 'AA', '<', '>'];
const ABNORMAL_FLAGS = ['L', 'H', 'A', 'LU', 'HU', 'U', 'D', 'W'];

/**
 * Passes the abnormal-flag interpretation a device or HL7 feed attached to a reading
 * through as an alert (`HH`, `LL`, `AA` → `high`; `H`, `L`, `A` → `low`), and clears it
 * when a later reading of the code carries no abnormal flag.
 */
export function flagOutcome(rule: PassThroughRule, reading: Reading): RuleOutcome {
  const critical = reading.interpretation.filter((f) => CRITICAL_FLAGS.includes(f));
  const abnormal = reading.interpretation.filter((f) => ABNORMAL_FLAGS.includes(f));
  const flags = [...critical, ...abnormal];
  const explanation: Explanation = {
    ruleId: rule.id,
    ruleKind: 'device-flag',
    summary: `${reading.code} flagged ${flags.join(',') || 'normal'} by the device`,
    thresholds: { critical: CRITICAL_FLAGS, abnormal: ABNORMAL_FLAGS },
    evidence: [
      {
        code: reading.code,
        value: reading.value,
        unit: reading.unit,
        at: new Date(reading.at).toISOString(),
        observationId: reading.observationId,
        deviceId: reading.deviceId,
      },
    ],
  };
  const base = { ruleId: rule.id, code: reading.code, patientId: reading.patientId, explanation };

  if (flags.length === 0) {
    return { ...base, action: 'clear' };
  }

  const severity: Severity = critical.length > 0 ? 'high' : 'low';

  return {
    ...base,
    action: 'fire',
    severity,
    title: `${rule.title}: ${reading.code} ${flags.join(',')}`,
  };
}

/** The device status flags that become technical alerts, and their default persistence. */
export const STATUS_FLAGS: Record<string, number> = {
  'sensor-fault': 0,
  'low-battery': 0,
  'probe-off': 30_000,
  'finger-out': 30_000,
};

/** The alert code of a device-status alert. */
export function statusCode(deviceId: string, flag: string): string {
  return `device/${deviceId}/${flag}`;
}
