import { monthBounds } from './days.js';
import { suggestDeviceSupply } from './device-supply.js';
import type { DeviceDay, MinutesEntry, RpmEpisode, VisitEnded } from './inputs.js';
import type { CodeSuggestion, CodingResult } from './suggestion.js';
import { codeVisit, type TelehealthRules } from './telehealth.js';
import { suggestTreatmentManagement } from './treatment-management.js';

// Device supply is billed once per patient per 30-day period: when two episodes overlap,
// a later period that overlaps one already billed is dropped, with a note.
function supplyAcrossEpisodes(input: SuggestMonthInput): CodingResult {
  const all: CodingResult = { suggestions: [], notes: [] };
  for (const episode of input.episodes.filter((e) => e.patientId === input.patientId)) {
    const r = suggestDeviceSupply({ episode, deviceDays: input.deviceDays, now: input.now });
    all.suggestions.push(...r.suggestions);
    all.notes.push(...r.notes);
  }
  const kept: CodeSuggestion[] = [];
  const supplies = all.suggestions
    .filter((s) => s.code !== '99453')
    .sort((a, b) => a.period.from.localeCompare(b.period.from));
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
  const setups = all.suggestions.filter((s) => s.code === '99453');

  return { suggestions: [...setups, ...kept], notes: all.notes };
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
    const day = visit.startedAt.slice(0, 10);
    if (visit.patientId !== input.patientId || day < first || day > last) {
      continue;
    }
    const coded = codeVisit(visit, input.telehealth);
    result.suggestions.push(...coded.suggestions);
    result.notes.push(...coded.notes);
  }

  return result;
}
