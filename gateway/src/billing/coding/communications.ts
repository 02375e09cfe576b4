import { dayIn } from './days.js';
import type { MinutesEntry } from './inputs.js';

/** Who took part in a communication, as far as billing cares. */
export type CommunicationParty = { side: 'clinician'; clinicianId: string } | { side: 'patient' };

/**
 * One FHIR `Communication` between clinician and patient, reduced to what the ledger rules
 * read. Only `completed` communications are passed in.
 */
export interface CommunicationFact {
  /** The Communication's id. */
  id: string;
  patientId: string;
  /** When it was sent (ISO 8601); absent means it cannot be placed in time. */
  sent?: string;
  /** The sender; absent when neither a clinician nor the patient sent it. */
  sender?: CommunicationParty;
  /** The recipients (the subject counts as one when no recipient is the patient). */
  recipients: CommunicationParty[];
  /** True for a telephone call (`medium` PHONE). */
  phone: boolean;
  /** The call's start and end, for a call. */
  call?: { start?: string; end?: string };
  /** Clinician time recorded for this message (minutes), when the clinician logged it. */
  clinicianMinutes?: number;
}

/** The configurable rule for turning messages and calls into minutes. */
export interface InteractiveTimeRule {
  /** A reply from the other side within this many minutes makes an exchange real-time. */
  messageReplyWindowMinutes: number;
  /** Least clinician time one two-way exchange counts. */
  messageExchangeMinimumMinutes: number;
  /** Most clinician time one two-way exchange counts. */
  messageExchangeMaximumMinutes: number;
}

/** Ledger entry ids derived from communications start with this. */
export const COMMUNICATION_ENTRY_PREFIX = 'comm-';

const MINUTE = 60_000;
const round2 = (n: number) => Math.round(n * 100) / 100;
const clinicianOf = (parties: readonly CommunicationParty[]) =>
  parties.find(
    (p): p is Extract<CommunicationParty, { side: 'clinician' }> => p.side === 'clinician',
  );
const hasPatient = (parties: readonly CommunicationParty[]) =>
  parties.some((p) => p.side === 'patient');

function callEntry(c: CommunicationFact, timeZone: string): MinutesEntry | undefined {
  const start = Date.parse(c.call?.start ?? '');
  const end = Date.parse(c.call?.end ?? '');
  const parties = [...(c.sender === undefined ? [] : [c.sender]), ...c.recipients];
  const clinician = clinicianOf(parties);
  if (!(end > start) || clinician === undefined || !hasPatient(parties)) {
    return undefined;
  }

  const minutes = Math.min(round2((end - start) / MINUTE), 1440);
  const from = new Date(start).toISOString();
  const to = new Date(end).toISOString();

  return {
    id: `${COMMUNICATION_ENTRY_PREFIX}call:${c.id}`,
    patientId: c.patientId,
    clinicianId: clinician.clinicianId,
    occurredAt: from,
    day: dayIn(from, timeZone),
    minutes,
    kind: 'audio',
    interactionEvidence: `Communication/${c.id}: call ${from} to ${to}, clinician and patient on the line; rule CALL-DURATION counts ${minutes} min`,
  };
}

interface Message {
  fact: CommunicationFact;
  at: number;
  side: 'clinician' | 'patient';
}

function asMessage(c: CommunicationFact): Message | undefined {
  const at = Date.parse(c.sent ?? '');
  if (c.phone || Number.isNaN(at) || c.sender === undefined) {
    return undefined;
  }
  // A clinician's message counts only when it went to the patient (and the other way round).
  const toOtherSide =
    c.sender.side === 'clinician' ? hasPatient(c.recipients) : clinicianOf(c.recipients);

  return toOtherSide ? { fact: c, at, side: c.sender.side } : undefined;
}

// Recorded clinician time, when the clinician's messages carry it, is what the exchange
// cost; otherwise the first-to-last span, within the configured minimum and maximum.
function exchangeMinutes(thread: readonly Message[], rule: InteractiveTimeRule) {
  const span = (thread[thread.length - 1].at - thread[0].at) / MINUTE;
  const recorded = thread
    .map((m) => m.fact.clinicianMinutes)
    .filter((n): n is number => n !== undefined && n > 0);
  if (recorded.length > 0) {
    const minutes = round2(
      Math.min(
        recorded.reduce((s, n) => s + n, 0),
        1440,
      ),
    );

    return {
      minutes,
      why: `rule MSG-RECORDED-TIME: replies within ${rule.messageReplyWindowMinutes} min, clinician time recorded on ${recorded.length} message(s) is ${minutes} min (span ${round2(span)} min not used)`,
    };
  }
  const minutes = round2(
    Math.min(
      Math.max(span, rule.messageExchangeMinimumMinutes),
      rule.messageExchangeMaximumMinutes,
    ),
  );

  return {
    minutes,
    why: `rule MSG-EXCHANGE: replies within ${rule.messageReplyWindowMinutes} min, span ${round2(span)} min counted as ${minutes} (min ${rule.messageExchangeMinimumMinutes}, max ${rule.messageExchangeMaximumMinutes}; no clinician time recorded)`,
  };
}

function exchangeEntry(
  thread: readonly Message[],
  rule: InteractiveTimeRule,
  timeZone: string,
): MinutesEntry {
  const first = thread[0];
  const { minutes, why } = exchangeMinutes(thread, rule);
  const clinician = thread.map((m) => m.fact.sender).find((s) => s?.side === 'clinician');
  const cited = thread
    .map((m) => `Communication/${m.fact.id} (${m.side} ${new Date(m.at).toISOString()})`)
    .join(', ');
  const occurredAt = new Date(first.at).toISOString();

  return {
    id: `${COMMUNICATION_ENTRY_PREFIX}exchange:${first.fact.id}`,
    patientId: first.fact.patientId,
    clinicianId: clinician?.side === 'clinician' ? clinician.clinicianId : 'unknown',
    occurredAt,
    day: dayIn(occurredAt, timeZone),
    minutes,
    kind: 'message',
    interactionEvidence: `${cited}; ${why}`,
  };
}

/**
 * The minutes ledger entries one patient's communications earn, each with its evidence.
 *
 * - A call (`phone`) with a start, a later end, a clinician and the patient among its parties
 *   counts its length (rule `CALL-DURATION`); one without all of them counts nothing.
 * - Secure messages between a clinician and the patient are chained while each follows the
 *   previous within `messageReplyWindowMinutes`. A chain with messages from both sides is a
 *   two-way exchange. It counts the clinician time recorded on its messages when there is
 *   any (rule `MSG-RECORDED-TIME`), else the time from its first to its last message, at
 *   least `messageExchangeMinimumMinutes` and at most `messageExchangeMaximumMinutes` (rule
 *   `MSG-EXCHANGE`). A one-way chain counts nothing. Whether an exchange is also the
 *   month's real-time interaction is the payer's rule (`MessageInteractionRule`).
 * - Entries fall on the calendar day of their start in `timeZone` (the practice's).
 *
 * Entry ids derive from the Communication ids (`comm-call:{id}`, `comm-exchange:{first id}`),
 * and each Communication belongs to at most one entry, so none counts twice.
 *
 * @example
 * ```ts
 * const entries = minutesFromCommunications(facts, {
 *   messageReplyWindowMinutes: 10, messageExchangeMinimumMinutes: 5,
 *   messageExchangeMaximumMinutes: 15,
 * });
 * ```
 */
export function minutesFromCommunications(
  facts: readonly CommunicationFact[],
  rule: InteractiveTimeRule,
  timeZone = 'UTC',
): MinutesEntry[] {
  if (!(rule.messageExchangeMinimumMinutes <= rule.messageExchangeMaximumMinutes)) {
    throw new TypeError('"messageExchangeMinimumMinutes" must be <= the maximum');
  }

  const calls = facts.filter((c) => c.phone).map((c) => callEntry(c, timeZone));
  const messages = facts
    .map(asMessage)
    .filter((m): m is Message => m !== undefined)
    .sort((a, b) => a.at - b.at || a.fact.id.localeCompare(b.fact.id));
  const threads: Message[][] = [];
  for (const m of messages) {
    const open = threads[threads.length - 1];
    const last = open?.[open.length - 1];
    const chained =
      last !== undefined &&
      last.fact.patientId === m.fact.patientId &&
      m.at - last.at <= rule.messageReplyWindowMinutes * MINUTE;
    if (chained) {
      open.push(m);
    } else {
      threads.push([m]);
    }
  }
  const exchanges = threads
    .filter((t) => t.some((m) => m.side === 'clinician') && t.some((m) => m.side === 'patient'))
    .map((t) => exchangeEntry(t, rule, timeZone));

  return [...calls.filter((e): e is MinutesEntry => e !== undefined), ...exchanges];
}

/**
 * Where communications come from: the hub reads the FHIR `Communication` resources of the
 * clinical store behind this interface.
 */
export interface CommunicationSource {
  /** Completed communications of one patient sent (or started) between two days, inclusive. */
  communications(patientId: string, from: string, to: string): Promise<CommunicationFact[]>;
}
