import type pino from 'pino';

import type { AlertStore } from './alert-store.js';
import { fingerprintOf } from './lifecycle.js';
import type { Alert } from './types.js';

/**
 * The engine's open alerts by fingerprint, ahead of the record by the transitions not yet
 * stored. When a store fails, {@link rollback} puts each alert back as the record last had
 * it; they stay authoritative (escalating, clearable, on the console) until a reload from
 * the record succeeds. A failed reload never empties them.
 *
 * @example
 * ```ts
 * const open = new OpenAlerts(store, log);
 * open.put(next);          // before storing the transition
 * open.committed();        // stored
 * open.rollback();         // or not: back to the record, reloaded when it answers
 * ```
 */
export class OpenAlerts {
  readonly #store: AlertStore;
  readonly #log: pino.Logger;
  readonly #open = new Map<string, Alert>();
  /** Each alert as the record last had it, for transitions not yet stored. */
  readonly #undo = new Map<string, Alert | undefined>();
  #reload = false;

  constructor(store: AlertStore, log: pino.Logger) {
    this.#store = store;
    this.#log = log;
  }

  get(fingerprint: string): Alert | undefined {
    return this.#open.get(fingerprint);
  }

  byId(id: string): Alert | undefined {
    return [...this.#open.values()].find((a) => a.id === id);
  }

  values(): Alert[] {
    return [...this.#open.values()];
  }

  /** Whether an alert is open for a rule and code of a patient. */
  isOpenFor(patientId: string): (ruleId: string, code: string) => boolean {
    return (ruleId, code) => this.#open.has(fingerprintOf(ruleId, patientId, code));
  }

  /** Takes an alert as it now stands (a resolved one leaves), remembering the stored one. */
  put(alert: Alert): void {
    if (!this.#undo.has(alert.fingerprint)) {
      this.#undo.set(alert.fingerprint, this.#open.get(alert.fingerprint));
    }
    if (alert.status === 'resolved') {
      this.#open.delete(alert.fingerprint);
    } else {
      this.#open.set(alert.fingerprint, alert);
    }
  }

  /** Alerts loaded from the record (at start). */
  load(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      this.#open.set(a.fingerprint, a);
    }
  }

  /** The pending transitions were stored. */
  committed(): void {
    this.#undo.clear();
  }

  /** The pending transitions were not stored: back to the record, reloaded when it answers. */
  rollback(): void {
    for (const [fp, before] of this.#undo) {
      if (before === undefined) {
        this.#open.delete(fp);
      } else {
        this.#open.set(fp, before);
      }
    }
    this.#undo.clear();
    this.#reload = true;
  }

  /** After a failed store, reloads from the record; keeps memory when that fails too. */
  async reloadIfNeeded(): Promise<void> {
    if (!this.#reload) {
      return;
    }

    try {
      const open = await this.#store.open();
      this.#open.clear();
      this.load(open);
      this.#reload = false;
    } catch (error) {
      this.#log.warn({ err: error }, 'reloading open alerts failed; kept in memory, retried');
    }
  }
}
