import { dayIn } from './days.js';
import type { VisitEnded } from './inputs.js';
import type { CodingResult } from './suggestion.js';

/** How one payer wants a video or audio visit coded. */
export interface TelehealthRules {
  /**
   * `office-em`: office E/M codes (99202–99215) with a telehealth modifier (Medicare);
   * `telemedicine`: the CPT 2025 telemedicine E/M codes (98000–98015).
   */
  codeSet: 'office-em' | 'telemedicine';
  /** POS when the patient is at home (CMS: 10). */
  posHome: string;
  /** POS when the patient is elsewhere (CMS: 02). */
  posOther: string;
  /** Modifier for audio-video visits (95), or none. */
  videoModifier?: string;
  /** Modifier for audio-only visits (93, or FQ for some payers), or none. */
  audioOnlyModifier?: string;
  /** Whether the payer pays audio-only visits at all. */
  audioOnlyAllowed: boolean;
}

// [CPT 2021+ office E/M by total time on the date: minutes each level needs]
const OFFICE_NEW = [
  { code: '99205', min: 60 },
  { code: '99204', min: 45 },
  { code: '99203', min: 30 },
  { code: '99202', min: 15 },
];
const OFFICE_ESTABLISHED = [
  { code: '99215', min: 40 },
  { code: '99214', min: 30 },
  { code: '99213', min: 20 },
  { code: '99212', min: 10 },
];
// [CPT 2025 telemedicine E/M: 98000-98007 audio-video, 98008-98015 audio-only]
const TELE = {
  videoNew: ['98003', '98002', '98001', '98000'],
  videoEstablished: ['98007', '98006', '98005', '98004'],
  audioNew: ['98011', '98010', '98009', '98008'],
  audioEstablished: ['98015', '98014', '98013', '98012'],
};

function levelFor(visit: VisitEnded, rules: TelehealthRules) {
  const ladder = visit.newPatient ? OFFICE_NEW : OFFICE_ESTABLISHED;
  const index = ladder.findIndex((l) => visit.durationMinutes >= l.min);
  if (index < 0) {
    return undefined;
  }
  const step = ladder[index];
  if (step === undefined) {
    return undefined;
  }
  if (rules.codeSet === 'office-em') {
    return { code: step.code, min: step.min };
  }
  const key =
    `${visit.video ? 'video' : 'audio'}${visit.newPatient ? 'New' : 'Established'}` as const;

  return { code: TELE[key][index] ?? step.code, min: step.min };
}

/**
 * Codes a finished video (or audio-only) visit as a time-based E/M service with the
 * payer's place of service (10 at home, 02 elsewhere) and telehealth modifier (95 for
 * audio-video, 93 for audio-only). Returns no code, with a note, when the visit is too short
 * or the payer does not pay audio-only visits. The date of service is the visit's day in
 * the practice's `timeZone`.
 *
 * @example
 * ```ts
 * const { suggestions } = codeVisit(visit, payer.telehealth);
 * ```
 */
export function codeVisit(
  visit: VisitEnded,
  rules: TelehealthRules,
  timeZone = 'UTC',
): CodingResult {
  if (!(visit.durationMinutes >= 0)) {
    throw new TypeError('"durationMinutes" must be >= 0');
  }

  const kind = visit.video ? 'audio-video' : 'audio-only';
  if (!visit.video && !rules.audioOnlyAllowed) {
    return {
      suggestions: [],
      notes: [`visit ${visit.visitId}: this payer does not pay audio-only visits`],
    };
  }
  const level = levelFor(visit, rules);
  if (level === undefined) {
    return {
      suggestions: [],
      notes: [
        `visit ${visit.visitId}: ${visit.durationMinutes} min is below the shortest E/M level`,
      ],
    };
  }
  const atHome = visit.patientLocation === 'home';
  const pos = atHome ? rules.posHome : rules.posOther;
  const modifier = visit.video ? rules.videoModifier : rules.audioOnlyModifier;
  const modifiers = modifier === undefined ? [] : [modifier];
  const day = dayIn(visit.startedAt, timeZone);

  return {
    suggestions: [
      {
        code: level.code,
        units: 1,
        modifiers,
        dateOfService: day,
        placeOfService: pos,
        status: 'ready',
        rule: `EM-TELEHEALTH-${rules.codeSet.toUpperCase()}`,
        explanation:
          `${level.code}: ${kind} ${visit.newPatient ? 'new' : 'established'} patient visit of ` +
          `${visit.durationMinutes} min (level needs ${level.min}+), POS ${pos} (patient ${atHome ? 'at home' : 'not at home'})` +
          (modifiers.length > 0 ? `, modifier ${modifiers.join(',')}` : ''),
        period: { from: day, to: day },
        minutes: visit.durationMinutes,
        sources: [visit.visitId],
      },
    ],
    notes: [],
  };
}
