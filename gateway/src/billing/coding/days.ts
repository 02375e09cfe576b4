// Calendar-day arithmetic on `YYYY-MM-DD` strings. Days are the practice's local calendar
// days, already resolved by whoever counted them, so every computation here is in UTC.

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;

/** Whether `value` is a real calendar day written `YYYY-MM-DD`. */
export function isDay(value: string): boolean {
  const m = DAY_RE.exec(value);
  if (m === null) {
    return false;
  }

  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));

  return date.toISOString().slice(0, 10) === value;
}

/** Throws a TypeError naming `name` unless `value` is a `YYYY-MM-DD` day. */
export function assertDay(value: string, name: string): void {
  if (!isDay(value)) {
    throw new TypeError(`"${name}" must be a YYYY-MM-DD day: ${value}`);
  }
}

/** The day `n` days after `day` (before it when `n` is negative). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (`b - a`). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** The first and last day of a `YYYY-MM` calendar month. */
export function monthBounds(month: string): { first: string; last: string } {
  const m = MONTH_RE.exec(month);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 12) {
    throw new TypeError(`"month" must be YYYY-MM: ${month}`);
  }

  const first = `${month}-01`;
  const last = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).toISOString().slice(0, 10);

  return { first, last };
}

/** The `YYYY-MM-DD` day of an instant in UTC. */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}
