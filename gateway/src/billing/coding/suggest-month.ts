import { dayIn, monthBounds } from './days.js';
import { suggestDeviceSupply } from './device-supply.js';
import type { DeviceDay, MinutesEntry, RpmEpisode, VisitEnded } from './inputs.js';
import type { CodeSuggestion, CodingResult } from './suggestion.js';
import { codeVisit, type TelehealthRules } from './telehealth.js';
import { suggestTreatmentManagement, type MessageInteractionRule } from './treatment-management.js';

// Device supply is billed once per patient per 30-day period: when two episodes overlap,
// a later period that overlaps one already billed is dropped, with a note. An episode's
// 99453 goes with the period that earned it (same period), so it is dropped with it: an
// overlapping second episode is no new set-up while the first one is billing.
function supplyAcrossEpisodes(input: SuggestMonthInput): CodingResult {
  const all: CodingResult = { suggestions: [], notes: [] };
  const setups: { setup: CodeSuggestion; supply: CodeSuggestion }[] = [];
  for (const episode of input.episodes.filter((e) => e.patientId === input.patientId)) {
    const r = suggestDeviceSupply({
      episode,
      deviceDays: input.deviceDays,
      now: input.now,
      timeZone: input.timeZone,
    });
    for (const setup of r.suggestions.filter((s) => s.code === '99453')) {
      const supply = r.suggestions.find(
        (s) => s.code !== '99453' && s.period.from === setup.period.from,
      );
      if (supply !== undefined) {
        setups.push({ setup, supply });
      }
    }
    all.suggestions.push(...r.suggestions.filter((s) => s.code !== '99453'));
    all.notes.push(...r.notes);
  }
  const kept: CodeSuggestion[] = [];
  const supplies = [...all.suggestions].sort((a, b) => a.period.from.localeCompare(b.period.from));
  for (const s of supplies) {
    const clash = kept.find((k) => k.period.from <= s.period.to && s.period.from <= k.period.to);
    if (clash === undefined) {
      kept.push(s);
      continue;
    }
    all.notes.push(
      `${s.code} for ${s.period.from} to ${s.period.to} dropped: overlaps the period billed with ${clash.code} (${clash.period.from} to ${clash.period.to})`,
    );
  }
  const keptSetups: CodeSuggestion[] = [];
  for (const { setup, supply } of setups) {
    if (kept.includes(supply)) {
      keptSetups.push(setup);
      continue;
    }
    all.notes.push(
      `99453 for ${setup.period.from} to ${setup.period.to} dropped: its supply period overlaps one already billed, so the episode is no new set-up`,
    );
  }

  return { suggestions: [...keptSetups, ...kept], notes: all.notes };
}

/** Inputs of {@link suggestMonth}. */
export interface SuggestMonthInput {
  patientId: string;
  /** `YYYY-MM`. */
  month: string;
  episodes: readonly RpmEpisode[];
  deviceDays: readonly DeviceDay[];
  entries: readonly MinutesEntry[];
  visits: readonly VisitEnded[];
  telehealth: TelehealthRules;
  max99458Units?: number;
  /** The payer's reading of messages as interaction (see suggestTreatmentManagement). */
  messages?: MessageInteractionRule;
  /**
   * The practice's IANA time zone, in which a visit's day and "today" (what is still
   * provisional) are counted (default UTC).
   */
  timeZone?: string;
  now: Date;
}

/**
 * Everything billable for one patient in one calendar month: the device-supply periods
 * that end in the month (each 30-day period is billed once, in the month it closes),
 * treatment management of the month, and the month's visits as E/M services.
 *
 * @example
 * ```ts
 * const result = suggestMonth({ patientId, month: '2026-03', episodes, deviceDays,
 *   entries, visits, telehealth: payer.telehealth, now: clock() });
 * ```
 */
export function suggestMonth(input: SuggestMonthInput): CodingResult {
  const { first, last } = monthBounds(input.month);
  const timeZone = input.timeZone ?? 'UTC';

  const result: CodingResult = { suggestions: [], notes: [] };
  const supply = supplyAcrossEpisodes(input);
  result.suggestions.push(
    ...supply.suggestions.filter((s) => s.period.to >= first && s.period.to <= last),
  );
  result.notes.push(...supply.notes.filter((n) => /to (\d{4}-\d{2})/.exec(n)?.[1] === input.month));
  const tm = suggestTreatmentManagement({ ...input, entries: input.entries });
  result.suggestions.push(...tm.suggestions);
  result.notes.push(...tm.notes);
  for (const visit of input.visits) {
    const day = dayIn(visit.startedAt, timeZone);
    if (visit.patientId !== input.patientId || day < first || day > last) {
      continue;
    }
    const coded = codeVisit(visit, input.telehealth, timeZone);
    result.suggestions.push(...coded.suggestions);
    result.notes.push(...coded.notes);
  }

  return result;
}
