import type { AlarmMessage, Observation } from '@sparkden/protocol';
import { v7 as uuidv7 } from 'uuid';

import type { AlarmRule } from '../config/schema.js';
import type { Logger } from '../log.js';
import { alarmValueOf } from './alarm-values.js';
import { runAlarmCommand } from './alarm-command.js';

/** One alarm as it travels in `up/alarm`. */
export type AlarmEntry = AlarmMessage['alarms'][number];

/** Options of {@link LocalAlarms}. */
export interface LocalAlarmsOptions {
  rules: readonly AlarmRule[];
  webhook?: string;
  /**
   * A program and its arguments (`[program, ...args]`, program an absolute path), run for
   * each alarm with the alarm JSON on stdin; see {@link runAlarmCommand}.
   */
  command?: readonly string[];
  log: Logger;
  /** The clock alarms are stamped with (the hub's, as the acks measure it; default the box's). */
  now?: () => Date;
}

/**
 * Evaluates the agent's urgent thresholds on the box, so an alarm is raised even while the
 * hub is unreachable. A rule fires once when its breach has lasted `forSeconds`, and re-arms
 * when the value comes back inside the limit. A rule on `bp-systolic`, `bp-diastolic` or
 * `bp-mean` reads that component of a blood-pressure panel. Thresholds are in the code's
 * preferred UCUM unit; readings in another accepted unit (kPa, [degF], mmol/L) are converted.
 *
 * @example
 * ```ts
 * const alarms = new LocalAlarms({ rules, log });
 * const raised = alarms.evaluate(observation);
 * ```
 */
export class LocalAlarms {
  #options: LocalAlarmsOptions;
  /** Per device and rule: when the breach began, and whether it already fired. */
  #breaches = new Map<string, { since: number; fired: boolean }>();

  constructor(options: LocalAlarmsOptions) {
    this.#options = options;
  }

  /** Replaces the rules and destinations (config reload). */
  update(options: Omit<LocalAlarmsOptions, 'log' | 'now'>): void {
    this.#options = { ...options, log: this.#options.log, now: this.#options.now };
    this.#breaches.clear();
  }

  /** Returns the alarms this observation raises (usually none). */
  evaluate(obs: Observation): AlarmEntry[] {
    const raised: AlarmEntry[] = [];
    const at = Date.parse(obs.effectiveAt);
    for (const rule of this.#options.rules) {
      const value = alarmValueOf(obs, rule.code);
      if (value === undefined) {
        continue;
      }
      if (rule.devices !== undefined && !rule.devices.includes(obs.device.id)) {
        continue;
      }
      const key = `${obs.device.id}\u0000${rule.name}`;
      const low = rule.below !== undefined && value < rule.below;
      const high = rule.above !== undefined && value > rule.above;
      if (!low && !high) {
        this.#breaches.delete(key);
        continue;
      }
      const breach = this.#breaches.get(key) ?? { since: at, fired: false };
      this.#breaches.set(key, breach);
      if (breach.fired || at - breach.since < rule.forSeconds * 1000) {
        continue;
      }
      breach.fired = true;
      raised.push({
        id: uuidv7(),
        patient: obs.patient,
        deviceId: obs.device.id,
        kind: 'local-threshold',
        severity: rule.severity,
        code: rule.name,
        reason: low ? 'below-threshold' : 'above-threshold',
        observationId: obs.id,
        raisedAt: (this.#options.now?.() ?? new Date()).toISOString(),
      });
    }

    return raised;
  }

  /**
   * Raises an alarm on the box while the hub is away: an error log line (codes only), then
   * the optional webhook and command. Failures of either are logged, never thrown.
   */
  async raiseLocally(alarm: AlarmEntry): Promise<void> {
    const { log, webhook, command } = this.#options;
    log.error(
      {
        event: 'localAlarmRaised',
        alarmId: alarm.id,
        deviceId: alarm.deviceId,
        code: alarm.code,
        severity: alarm.severity,
      },
      'urgent threshold crossed while the hub is unreachable',
    );
    const body = JSON.stringify(alarm);
    const tasks: Promise<void>[] = [];
    if (webhook !== undefined) {
      tasks.push(
        fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        })
          .then((res) => {
            if (!res.ok) {
              log.warn(
                { event: 'localAlarmWebhookFailed', status: res.status },
                'local alarm webhook refused',
              );
            }
          })
          .catch((error: unknown) => {
            log.warn(
              { event: 'localAlarmWebhookFailed', err: (error as Error).message },
              'local alarm webhook unreachable',
            );
          }),
      );
    }
    if (command !== undefined) {
      tasks.push(runAlarmCommand(command, alarm, log));
    }
    await Promise.all(tasks);
  }
}
