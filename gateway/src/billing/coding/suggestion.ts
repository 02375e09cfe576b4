/**
 * Whether a suggestion can be billed now (`ready`), its period is still open
 * (`provisional`), or a live claim already bills it (`billed`, never claimed again).
 */
export type SuggestionStatus = 'ready' | 'provisional' | 'billed';

/**
 * One code the engine suggests, with everything a clerk needs to see why: the rule, the
 * days or minutes it counted and a sentence that says it plainly.
 */
export interface CodeSuggestion {
  /** CPT/HCPCS code. */
  code: string;
  units: number;
  modifiers: string[];
  /** Date of service, `YYYY-MM-DD`. */
  dateOfService: string;
  /** Place of service (CMS two-digit code), when the rule fixes one. */
  placeOfService?: string;
  /** `provisional` while the period or month is still open at the engine's clock. */
  status: SuggestionStatus;
  /** Stable id of the rule that produced it (`RPM-SUPPLY-16-30`). */
  rule: string;
  /** A plain sentence: which days, which minutes, which rule. */
  explanation: string;
  /** The period the code covers, inclusive. */
  period: { from: string; to: string };
  /** Days with readings that were counted. */
  days?: string[];
  /** Devices that sent those readings. */
  devices?: string[];
  /** Minutes that were counted. */
  minutes?: number;
  /** Ledger entries or visits that were counted. */
  sources?: string[];
}

/** What the engine found: the codes, and notes on what could not be billed and why. */
export interface CodingResult {
  suggestions: CodeSuggestion[];
  notes: string[];
}

/** The first day the 2026 CPT RPM codes (99445, 99470) may be reported. */
export const CPT_2026_START = '2026-01-01';

/** Whether the 2026 RPM code set applies on a date of service. */
export function uses2026RpmCodes(dateOfService: string): boolean {
  return dateOfService >= CPT_2026_START;
}
