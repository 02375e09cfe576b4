/** Formats a duration for people: `42 s`, `5 min`, `3 h 10 min`, `2 d`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) {
    return `${s} s`;
  }
  const min = Math.floor(s / 60);
  if (min < 60) {
    return `${min} min`;
  }
  const h = Math.floor(min / 60);
  if (h < 48) {
    return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  }

  return `${Math.floor(h / 24)} d`;
}

/** `5 min ago`, or `just now` under ten seconds. */
export function formatAgo(at: number | string | undefined, now: number): string {
  if (at === undefined) {
    return 'never';
  }
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(t)) {
    return 'unknown';
  }
  const ms = now - t;

  return ms < 10_000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** Local time as `14:05`, with the date when it is not today. */
export function formatClock(at: number | string, now: number = Date.now()): string {
  const d = new Date(at);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (new Date(now).toDateString() === d.toDateString()) {
    return time;
  }

  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}
