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

/** Whether `name` is an IANA time zone this runtime knows (`America/New_York`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });

    return name.length > 0;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The `YYYY-MM-DD` calendar day of an instant in an IANA time zone: an evening reading at
 * 21:30 in New York (01:30 UTC the next day) belongs to the New York day.
 *
 * @example
 * ```ts
 * dayIn('2026-03-31T01:30:00Z', 'America/New_York'); // '2026-03-30'
 * ```
 */
export function dayIn(instant: string | Date, timeZone: string): string {
  const at = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(at.getTime())) {
    throw new TypeError(`"instant" must be a date-time: ${String(instant)}`);
  }

  let format = formats.get(timeZone);
  if (format === undefined) {
    // en-CA writes dates as YYYY-MM-DD
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formats.set(timeZone, format);
  }

  return format.format(at);
}
