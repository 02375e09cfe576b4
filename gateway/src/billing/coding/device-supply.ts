import { addDays, assertDay, dayIn } from './days.js';
import type { DeviceDay, RpmEpisode } from './inputs.js';
import { uses2026RpmCodes, type CodeSuggestion, type CodingResult } from './suggestion.js';

/** Inputs of {@link suggestDeviceSupply}. */
export interface DeviceSupplyInput {
  episode: RpmEpisode;
  /** Device-days of the episode's patient; days outside the episode are ignored. */
  deviceDays: readonly DeviceDay[];
  /** The engine's clock: periods not yet over are `provisional`, future ones are skipped. */
  now: Date;
  /** The practice's IANA time zone, in which "today" is taken (default UTC). */
  timeZone?: string;
}

const PERIOD_DAYS = 30;

interface Period {
  index: number;
  from: string;
  to: string;
}

function periodsOf(episode: RpmEpisode, today: string): Period[] {
  const periods: Period[] = [];
  const last = episode.end !== undefined && episode.end < today ? episode.end : today;
  for (let index = 0; ; index++) {
    const from = addDays(episode.start, index * PERIOD_DAYS);
    if (from > last) {
      break;
    }
    const full = addDays(from, PERIOD_DAYS - 1);
    const to = episode.end !== undefined && episode.end < full ? episode.end : full;
    periods.push({ index, from, to });
  }

  return periods;
}

function supplyCodeFor(dayCount: number, dateOfService: string) {
  // [CPT 99454: 16-30 days of data in a 30-day period]
  if (dayCount >= 16) {
    return { code: '99454', rule: 'RPM-SUPPLY-16-30', range: '16-30' };
  }
  // [CPT 2026 99445: 2-15 days of data in a 30-day period]
  if (dayCount >= 2 && uses2026RpmCodes(dateOfService)) {
    return { code: '99445', rule: 'RPM-SUPPLY-2-15', range: '2-15' };
  }

  return undefined;
}

function listDays(days: string[]): string {
  return days.length <= 6 ? days.join(', ') : `${days[0]} … ${days[days.length - 1]}`;
}

/**
 * Device supply and set-up codes of one RPM episode, per 30-day period counted from the
 * episode start: 99454 for 16–30 days with readings, from 2026 99445 for 2–15, at most one
 * of them per period whatever the number of devices (a day counts once even when two
 * devices sent readings, and a swapped device continues the same count); 99453 once per
 * episode, with the first period that earns a supply code. The date of service is the
 * period's last day.
 *
 * @example
 * ```ts
 * const { suggestions } = suggestDeviceSupply({
 *   episode: { id: 'e1', patientId: 'p1', start: '2026-03-01' },
 *   deviceDays: await source.deviceDays('p1', '2026-03-01', '2026-03-30'),
 *   now: new Date(),
 * });
 * ```
 */
export function suggestDeviceSupply(input: DeviceSupplyInput): CodingResult {
  const { episode } = input;
  assertDay(episode.start, 'episode.start');
  if (episode.end !== undefined) {
    assertDay(episode.end, 'episode.end');
  }

  const today = dayIn(input.now, input.timeZone ?? 'UTC');
  const suggestions: CodeSuggestion[] = [];
  const notes: string[] = [];
  let setupBilled = false;
  for (const period of periodsOf(episode, today)) {
    const inPeriod = input.deviceDays.filter(
      (d) => d.readings > 0 && d.day >= period.from && d.day <= period.to,
    );
    const days = [...new Set(inPeriod.map((d) => d.day))].sort();
    const devices = [...new Set(inPeriod.map((d) => d.deviceId))].sort();
    const open = period.to >= today && (episode.end === undefined || episode.end >= today);
    const status = open ? 'provisional' : 'ready';
    const supply = supplyCodeFor(days.length, period.to);
    const label = `period ${period.index + 1} (${period.from} to ${period.to})`;
    if (supply === undefined) {
      const min = uses2026RpmCodes(period.to) ? 2 : 16;
      notes.push(
        `${label}: ${days.length} day(s) with readings, fewer than the ${min} a device-supply code needs${open ? ' so far' : ''}`,
      );
      continue;
    }

    const deviceText = devices.length === 1 ? '1 device' : `${devices.length} devices`;
    const common: Omit<CodeSuggestion, 'code' | 'rule' | 'explanation'> = {
      units: 1,
      modifiers: [],
      dateOfService: period.to,
      status,
      period: { from: period.from, to: period.to },
      days,
      devices,
    };
    suggestions.push({
      ...common,
      code: supply.code,
      rule: supply.rule,
      explanation:
        `${supply.code}: readings on ${days.length} day(s) (${listDays(days)}) from ${deviceText} ` +
        `in ${label}; rule ${supply.rule} needs ${supply.range} days; once per 30-day period`,
    });
    if (!setupBilled) {
      setupBilled = true;
      suggestions.push({
        ...common,
        code: '99453',
        rule: 'RPM-SETUP-ONCE',
        explanation:
          `99453: set-up and education, once for episode ${episode.id}, with the first period ` +
          `that earned a supply code (${label}, ${days.length} day(s))`,
      });
    }
  }

  return { suggestions, notes };
}
