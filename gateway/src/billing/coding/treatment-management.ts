import { dayIn, monthBounds } from './days.js';
import type { MinutesEntry } from './inputs.js';
import { uses2026RpmCodes, type CodeSuggestion, type CodingResult } from './suggestion.js';

/** Inputs of {@link suggestTreatmentManagement}. */
export interface TreatmentManagementInput {
  patientId: string;
  /** The calendar month, `YYYY-MM`. */
  month: string;
  /** Ledger entries; those of other patients or months are ignored. */
  entries: readonly MinutesEntry[];
  now: Date;
  /** The practice's IANA time zone, in which "today" is taken (default UTC). */
  timeZone?: string;
  /** Most 99458 units a payer accepts in a month (no limit when absent). */
  max99458Units?: number;
  /**
   * Whether a two-way secure-message exchange is itself the month's real-time interaction
   * (`count-as-interaction`), or message time counts only in a month that also has a
   * real-time audio or video interaction (`need-audio-video`, the default). See
   * {@link MessageInteractionRule}.
   */
  messages?: MessageInteractionRule;
}

/**
 * A payer's reading of "interactive communication" for treatment management. CMS defines
 * it as real-time synchronous, two-way audio interaction, which may be enhanced with video
 * (CY 2021 PFS final rule, 85 FR 84545; CMS RPM FAQ): for Medicare-like payers secure
 * messages are time spent, not the interaction (`need-audio-video`). A payer whose contract
 * accepts a prompt two-way message exchange as interactive sets `count-as-interaction`.
 */
export type MessageInteractionRule = 'need-audio-video' | 'count-as-interaction';

function describeMinutes(entries: readonly MinutesEntry[]): string {
  const byKind = new Map<string, number>();
  for (const e of entries) {
    byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + e.minutes);
  }

  return [...byKind].map(([kind, m]) => `${m} min ${kind}`).join(', ');
}

// Which minutes: every counted entry with the evidence it keeps (visit, call, message thread).
function citeEntries(entries: readonly MinutesEntry[]): string {
  return entries
    .map(
      (e) =>
        `${e.id} ${e.minutes} min ${e.kind} on ${e.day} [${e.interactionEvidence ?? 'no real-time evidence'}]`,
    )
    .join('; ');
}

/**
 * RPM treatment management of one patient in one calendar month, from the minutes
 * ledger. Time counts only in a month with at least one real-time interaction (an entry
 * with `interactionEvidence`); time already billed as its own service (an E/M video visit)
 * is left out. From 2026, 10–19 minutes give 99470; 20 or more give 99457, and each further
 * full 20 minutes one unit of 99458. 99470 never stacks with 99457 or 99458.
 *
 * @example
 * ```ts
 * const { suggestions } = suggestTreatmentManagement({
 *   patientId: 'p1', month: '2026-03', entries: await ledger.list('p1', '2026-03'), now,
 * });
 * ```
 */
export function suggestTreatmentManagement(input: TreatmentManagementInput): CodingResult {
  const { first, last } = monthBounds(input.month);
  if (input.max99458Units !== undefined && !(input.max99458Units >= 0)) {
    throw new TypeError('"max99458Units" must be >= 0');
  }

  const notes: string[] = [];
  const inMonth = input.entries.filter(
    (e) => e.patientId === input.patientId && e.day >= first && e.day <= last,
  );
  const separate = inMonth.filter((e) => e.billedSeparately === true);
  const counted = inMonth.filter((e) => e.billedSeparately !== true);
  if (separate.length > 0) {
    const m = separate.reduce((s, e) => s + e.minutes, 0);
    notes.push(`${m} min from ${separate.length} entry(ies) left out: billed as their own service`);
  }
  const minutes = Math.floor(counted.reduce((s, e) => s + e.minutes, 0));
  const rule = input.messages ?? 'need-audio-video';
  const interactive = counted.filter(
    (e) =>
      e.interactionEvidence !== undefined &&
      (rule === 'count-as-interaction' || e.kind !== 'message'),
  );
  const open = dayIn(input.now, input.timeZone ?? 'UTC') <= last;
  const status = open ? 'provisional' : 'ready';
  const use2026 = uses2026RpmCodes(last);
  const floor = use2026 ? 10 : 20;
  if (interactive.length === 0) {
    const onlyMessages = counted.some((e) => e.kind === 'message' && e.interactionEvidence);
    notes.push(
      onlyMessages && rule === 'need-audio-video'
        ? `${minutes} min in ${input.month} but the only interaction is secure messaging; this payer needs a real-time audio or video interaction (rule MSG-NEEDS-AUDIO-VIDEO): no treatment-management code`
        : `${minutes} min in ${input.month} but no real-time interaction with the patient: no treatment-management code`,
    );

    return { suggestions: [], notes };
  }
  if (minutes < floor) {
    notes.push(`${minutes} min in ${input.month}, fewer than the ${floor} the first code needs`);

    return { suggestions: [], notes };
  }

  const base: Omit<CodeSuggestion, 'code' | 'rule' | 'explanation' | 'units'> = {
    modifiers: [],
    dateOfService: last,
    status,
    period: { from: first, to: last },
    days: [...new Set(counted.map((e) => e.day))].sort(),
    sources: counted.map((e) => e.id),
  };
  const messageRule =
    rule === 'need-audio-video'
      ? 'messages count as time only beside a real-time audio/video interaction (rule MSG-NEEDS-AUDIO-VIDEO)'
      : 'a two-way message exchange counts as interaction (payer rule MSG-AS-INTERACTION)';
  const detail = `${describeMinutes(counted)}; ${interactive.length} real-time interaction(s); ${messageRule}; entries: ${citeEntries(counted)}`;
  if (minutes < 20) {
    // [CPT 2026 99470: first 10 minutes; not reported with 99457 or 99458 in the same month]
    return {
      suggestions: [
        {
          ...base,
          code: '99470',
          units: 1,
          minutes,
          rule: 'RPM-TM-10',
          explanation: `99470: ${minutes} min of treatment management in ${input.month} (${detail}); rule RPM-TM-10 covers 10-19 min, never with 99457/99458`,
        },
      ],
      notes,
    };
  }

  // [CPT 99457 first 20 minutes; 99458 each additional full 20 minutes, add-on to 99457]
  let extra = Math.floor((minutes - 20) / 20);
  if (input.max99458Units !== undefined && extra > input.max99458Units) {
    notes.push(`99458 capped at ${input.max99458Units} unit(s) by the payer (${extra} earned)`);
    extra = input.max99458Units;
  }
  const suggestions: CodeSuggestion[] = [
    {
      ...base,
      code: '99457',
      units: 1,
      minutes: 20,
      rule: 'RPM-TM-20',
      explanation: `99457: first 20 of ${minutes} min of treatment management in ${input.month} (${detail}); rule RPM-TM-20`,
    },
  ];
  if (extra > 0) {
    suggestions.push({
      ...base,
      code: '99458',
      units: extra,
      minutes: extra * 20,
      rule: 'RPM-TM-ADD-20',
      explanation: `99458 x${extra}: ${extra * 20} min beyond the first 20 (of ${minutes}) in ${input.month}; one unit per full additional 20 min`,
    });
  }
  const leftover = minutes - 20 - extra * 20;
  if (leftover > 0) {
    notes.push(`${leftover} min beyond the last full 20-minute block are not billable`);
  }

  return { suggestions, notes };
}
