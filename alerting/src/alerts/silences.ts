import { isUrgent } from '../rules/types.js';
import { AlertError } from './errors.js';
import type { Alert, Silence } from './types.js';

/**
 * Whether a silence covers an alert at `now`. Every matcher the silence sets must match;
 * an urgent alert is never covered, whatever the silence says.
 *
 * @example
 * ```ts
 * isSilencedBy(silence, alert, clock()); // false for an urgent alert
 * ```
 */
export function isSilencedBy(silence: Silence, alert: Alert, now: number): boolean {
  if (isUrgent(alert.severity)) {
    return false;
  }

  const active = Date.parse(silence.startsAt) <= now && now < Date.parse(silence.endsAt);
  const matches =
    (silence.unit === undefined || silence.unit === alert.unit) &&
    (silence.patientId === undefined || silence.patientId === alert.patientId) &&
    (silence.ruleId === undefined || silence.ruleId === alert.ruleId) &&
    (silence.code === undefined || silence.code === alert.code);

  return active && matches;
}

/** Whether any of `silences` covers `alert` at `now`. */
export function isSilenced(silences: readonly Silence[], alert: Alert, now: number): boolean {
  return silences.some((s) => isSilencedBy(s, alert, now));
}

/** The longest a silence may last: a shift. */
export const MAX_SILENCE_MS = 12 * 60 * 60_000;

/**
 * Checks a requested silence: it needs a unit or a patient, an end after its start, and
 * no more than {@link MAX_SILENCE_MS}.
 *
 * @throws {AlertError} `INVALID_SILENCE`.
 */
export function checkSilence(s: Pick<Silence, 'unit' | 'patientId' | 'startsAt' | 'endsAt'>): void {
  const start = Date.parse(s.startsAt);
  const end = Date.parse(s.endsAt);
  if (s.unit === undefined && s.patientId === undefined) {
    throw new AlertError('INVALID_SILENCE', '"unit" or "patientId" is required');
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
    throw new AlertError('INVALID_SILENCE', '"endsAt" must be a time after the start');
  }
  if (end - start > MAX_SILENCE_MS) {
    throw new AlertError(
      'INVALID_SILENCE',
      `"endsAt" must be within ${MAX_SILENCE_MS / 3_600_000} h`,
    );
  }
}
