import type { Participant } from './participant.js';

/**
 * The time accounting of one visit: when the call first had someone in it, and the interactive
 * time — the milliseconds during which the clinician host and the patient were both in the call.
 * A guest (a nurse, an interpreter) alone with the host is not interactive time with the
 * patient, so it does not count toward the minutes ledger.
 *
 * @example
 * const clock = new VisitClock();
 * clock.update(now, room.participants);
 * clock.interactiveSeconds(now);
 */
export class VisitClock {
  #startedAt?: number;
  #interactiveMs = 0;
  #interactiveSince?: number;

  /** First moment anyone was in the call, epoch ms. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /** Someone entered the call at `now`. */
  started(now: number): void {
    this.#startedAt ??= now;
  }

  /** Re-reads who is in the call after a join or a leave at `now`. */
  update(now: number, participants: readonly Participant[]): void {
    const inCall = participants.filter((p) => p.state === 'in-call');
    const both = inCall.some((p) => p.role === 'host') && inCall.some((p) => p.role === 'patient');
    if (both && this.#interactiveSince === undefined) {
      this.#interactiveSince = now;
    } else if (!both && this.#interactiveSince !== undefined) {
      this.#interactiveMs += now - this.#interactiveSince;
      this.#interactiveSince = undefined;
    }
  }

  /** Whole seconds of interactive time up to `now`. */
  interactiveSeconds(now: number): number {
    const open = this.#interactiveSince === undefined ? 0 : now - this.#interactiveSince;

    return Math.round((this.#interactiveMs + open) / 1000);
  }
}
