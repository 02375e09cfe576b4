/**
 * Turns readings into what a time-series chart draws: x in seconds, y with `null` where the
 * data has a gap (so the line breaks instead of bridging it), the gaps themselves to shade,
 * and the stretches each device covered.
 */

/** One reading for a chart. */
export interface Point {
  /** Epoch ms. */
  at: number;
  value: number;
  deviceId?: string;
}

/** A stretch with no data, in epoch ms. */
export interface Gap {
  from: number;
  to: number;
}

/** A stretch of readings from one device, in epoch ms. */
export interface DeviceSpan {
  deviceId: string;
  from: number;
  to: number;
}

/** Chart-ready series. */
export interface Series {
  /** Seconds since the epoch, ascending. */
  x: number[];
  y: Array<number | null>;
  gaps: Gap[];
  devices: DeviceSpan[];
}

/**
 * Builds a chart series. A silence longer than `maxGapMs` between two readings is a gap;
 * so is the stretch from the last reading to `until` when it is longer than `maxGapMs`.
 *
 * @example
 * ```ts
 * const s = buildSeries(points, { maxGapMs: 30_000, until: Date.now() });
 * ```
 */
export function buildSeries(
  points: readonly Point[],
  options: { maxGapMs: number; from?: number; until?: number },
): Series {
  if (!(options.maxGapMs > 0)) {
    throw new TypeError('"maxGapMs" must be > 0');
  }

  const sorted = [...points].sort((a, b) => a.at - b.at);
  const x: number[] = [];
  const y: Array<number | null> = [];
  const gaps: Gap[] = [];
  const devices: DeviceSpan[] = [];
  const first = sorted[0];
  if (first && options.from !== undefined && first.at - options.from > options.maxGapMs) {
    gaps.push({ from: options.from, to: first.at });
  }
  let previous: Point | undefined;
  for (const point of sorted) {
    if (previous && point.at - previous.at > options.maxGapMs) {
      gaps.push({ from: previous.at, to: point.at });
      // A null midway breaks the line across the gap.
      x.push((previous.at + point.at) / 2 / 1000);
      y.push(null);
    }
    x.push(point.at / 1000);
    y.push(point.value);
    trackDevice(devices, point);
    previous = point;
  }
  if (previous && options.until !== undefined && options.until - previous.at > options.maxGapMs) {
    gaps.push({ from: previous.at, to: options.until });
  }

  return { x, y, gaps, devices };
}

function trackDevice(devices: DeviceSpan[], point: Point): void {
  const deviceId = point.deviceId ?? 'unknown';
  const last = devices[devices.length - 1];
  if (last && last.deviceId === deviceId) {
    last.to = point.at;
  } else {
    devices.push({ deviceId, from: point.at, to: point.at });
  }
}

/** Minimum and maximum of the non-null values, or undefined when there are none. */
export function valueRange(y: ReadonlyArray<number | null>): [number, number] | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const v of y) {
    if (v !== null) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }

  return min === Infinity ? undefined : [min, max];
}

/**
 * The shortest of `spans` (ms, ascending) that shows readings reaching back `ageMs`, with a
 * tenth to spare so the oldest is not on the edge; the longest when none does.
 */
export function fitSpanMs(ageMs: number, spans: readonly number[]): number {
  const longest = spans[spans.length - 1] ?? ageMs;
  if (!Number.isFinite(ageMs)) {
    return longest;
  }

  return spans.find((span) => span >= ageMs * 1.1) ?? longest;
}
