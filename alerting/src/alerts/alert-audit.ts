import type pino from 'pino';

import type { AlertEvent, AuditSink } from './types.js';

/**
 * Builds the audit records of the alert engine, one per alert transition and one per
 * configuration change, and hands them to the gateway's audit trail. A failing sink is
 * logged for an operator and never stops the alert: the transition is already kept in
 * `alerting.alert_events` (or `config_events`).
 *
 * @example
 * ```ts
 * const audit = new AlertAudit(sink, log);
 * await audit.transition(event);
 * await audit.config('rn-1', 'silence.end', 'Silence/7', undefined, {});
 * ```
 */
export class AlertAudit {
  readonly #sink?: AuditSink;
  readonly #log: pino.Logger;

  constructor(sink: AuditSink | undefined, log: pino.Logger) {
    this.#sink = sink;
    this.#log = log;
  }

  /** The record of one alert transition (`alert.raised`, `alert.acknowledged`, …). */
  async transition(e: AlertEvent): Promise<void> {
    await this.#send({
      actor: e.actor,
      action: `alert.${e.kind}`,
      patientId: e.patientId,
      entity: `Alert/${e.alertId}`,
      outcome: 'success',
      detail: {
        cursor: e.cursor,
        ruleId: e.alert.ruleId,
        severity: e.alert.severity,
        status: e.alert.status,
        ...e.detail,
      },
    });
  }

  /** The record of a configuration change (rules, overrides, silences, units, profiles). */
  async config(
    actor: string,
    action: string,
    entity: string,
    patientId: string | undefined,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.#send({ actor, action, patientId, entity, outcome: 'success', detail });
  }

  async #send(event: Parameters<AuditSink>[0]): Promise<void> {
    if (this.#sink === undefined) {
      return;
    }
    try {
      await this.#sink(event);
    } catch (error) {
      // The transition is already in alerting.alert_events / config_events; an operator
      // must restore the audit sink, the alert itself must still go out.
      this.#log.error(
        { err: error, action: event.action, entity: event.entity },
        'audit sink failed',
      );
    }
  }
}
