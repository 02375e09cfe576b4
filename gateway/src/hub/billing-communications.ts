import type { Queryable } from '@sparkden/alerting';

import {
  dayIn,
  type CommunicationFact,
  type CommunicationParty,
  type CommunicationSource,
} from '../billing/index.js';
import type { Resource } from '../fhir/resource-types.js';

type Json = Record<string, unknown>;

/**
 * The extension on a call's `Communication` that holds when the call began and ended
 * (`valuePeriod`); FHIR R4 Communication has `sent` and `received` but no period.
 */
export const CALL_PERIOD_EXTENSION = 'https://sparkden.dev/fhir/StructureDefinition/call-period';

/**
 * The extension on a message's `Communication` holding the clinician time it took
 * (`valueDuration`, UCUM `min`), which billing credits instead of the exchange's span.
 */
export const CLINICIAN_TIME_EXTENSION =
  'https://sparkden.dev/fhir/StructureDefinition/clinician-time';

// [FHIR R4 Duration] minutes: unit code `min`, or `h` (hours) converted.
function minutesOf(duration: Json | undefined): number | undefined {
  const value = duration?.value;
  if (typeof value !== 'number' || !(value > 0)) {
    return undefined;
  }
  const code = duration?.code ?? duration?.unit;

  return code === 'min' ? value : code === 'h' ? value * 60 : undefined;
}

const CLINICIAN_TYPES = new Set(['Practitioner', 'PractitionerRole']);

const refOf = (value: unknown): string | undefined => {
  const ref = (value as Json | undefined)?.reference;

  return typeof ref === 'string' ? ref : undefined;
};

// [FHIR R4 Communication.sender/recipient] a Practitioner is the clinician; the patient
// (or a RelatedPerson, a caregiver) is the patient side; anyone else is neither.
function partyOf(reference: string | undefined, patientId: string): CommunicationParty | undefined {
  const [type, id] = (reference ?? '').split('/');
  if (type === undefined || id === undefined || id === '') {
    return undefined;
  }
  if (CLINICIAN_TYPES.has(type)) {
    return { side: 'clinician', clinicianId: id };
  }

  return (type === 'Patient' && id === patientId) || type === 'RelatedPerson'
    ? { side: 'patient' }
    : undefined;
}

// [HL7 v3 ParticipationMode PHONE] the medium of a telephone call
function isPhone(c: Resource): boolean {
  const media = (c.medium as Json[] | undefined) ?? [];

  return media.some((m) =>
    ((m.coding as Json[] | undefined) ?? []).some((k) => k.code === 'PHONE'),
  );
}

/**
 * A FHIR `Communication` as billing's {@link CommunicationFact}. The subject stands in for
 * the patient recipient of a clinician's message that names no recipient.
 */
export function communicationFact(c: Resource, patientId: string): CommunicationFact {
  const sender = partyOf(refOf(c.sender), patientId);
  const named = ((c.recipient as unknown[] | undefined) ?? []).map((r) =>
    partyOf(refOf(r), patientId),
  );
  const subject = partyOf(refOf(c.subject), patientId);
  const recipients = named.filter((p): p is CommunicationParty => p !== undefined);
  if (named.length === 0 && sender?.side === 'clinician' && subject !== undefined) {
    recipients.push(subject);
  }
  const extensions = (c.extension as Json[] | undefined) ?? [];
  const period = extensions.find((e) => e.url === CALL_PERIOD_EXTENSION)?.valuePeriod as
    { start?: string; end?: string } | undefined;
  const phone = isPhone(c);
  const recorded = extensions.find((e) => e.url === CLINICIAN_TIME_EXTENSION);
  const clinicianMinutes = minutesOf(recorded?.valueDuration as Json | undefined);

  return {
    id: String(c.id),
    patientId,
    sent: typeof c.sent === 'string' ? c.sent : undefined,
    sender,
    recipients,
    phone,
    call: phone ? { start: period?.start, end: period?.end } : undefined,
    ...(clinicianMinutes === undefined ? {} : { clinicianMinutes }),
  };
}

/**
 * Calls and secure messages straight from the clinical store: the patient's `completed`
 * `Communication` resources (a Communication is not a person resource, so nothing of it is
 * sealed), placed in time by the call's start or the message's `sent`, in the practice's
 * calendar days (`timeZone`, default UTC).
 *
 * @example
 * ```ts
 * new BillingService({ store, config, deviceDays, patients, communications: sqlCommunications(db) });
 * ```
 */
export function sqlCommunications(db: Queryable, timeZone = 'UTC'): CommunicationSource {
  return {
    async communications(patientId, from, to) {
      const { rows } = await db.query<{ content: Resource | string }>(
        `select content from clinical.resources
          where resource_type = 'Communication' and patient_id = $1 and not deleted`,
        [patientId],
      );

      return rows
        .map((r) =>
          typeof r.content === 'string' ? (JSON.parse(r.content) as Resource) : r.content,
        )
        .filter((c) => c.status === 'completed')
        .map((c) => communicationFact(c, patientId))
        .filter((f) => {
          const at = Date.parse(f.call?.start ?? f.sent ?? '');
          const day = Number.isNaN(at) ? '' : dayIn(new Date(at), timeZone);

          return day >= from && day <= to;
        });
    },
  };
}
