import {
  createFhir,
  displayName,
  readFhir,
  searchFhir,
  type FhirResource,
  type HumanName,
} from './fhir.js';

/** A FHIR Communication (a secure message), reduced to what the app shows. */
export interface CommunicationResource extends FhirResource {
  resourceType: 'Communication';
  status: string;
  subject?: { reference?: string };
  sender?: { reference?: string; display?: string };
  recipient?: Array<{ reference?: string; display?: string }>;
  sent?: string;
  payload?: Array<{ contentString?: string }>;
  topic?: { text?: string };
}

/** A patient's secure messages, oldest first. */
export async function listMessages(patientId: string): Promise<CommunicationResource[]> {
  const found = await searchFhir<CommunicationResource>('Communication', {
    subject: `Patient/${patientId}`,
    _sort: '-sent',
    _count: '50',
  });

  return found.sort((a, b) => Date.parse(a.sent ?? '') - Date.parse(b.sent ?? ''));
}

/** Sends a secure message from a patient to their care team. */
export function sendMessage(patientId: string, text: string): Promise<CommunicationResource> {
  return createFhir<CommunicationResource>({
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    sender: { reference: `Patient/${patientId}` },
    sent: new Date().toISOString(),
    category: [{ text: 'secure-message' }],
    topic: { text: 'Message to care team' },
    payload: [{ contentString: text }],
  });
}

/** Who on the care team writes a reply. */
export interface StaffSender {
  practitionerId?: string;
  displayName?: string;
}

/**
 * The name a patient reads on a reply: the session's display name, else the Practitioner's
 * name in the directory, else "Care team" when the directory has none to give.
 */
async function senderName(from: StaffSender): Promise<string> {
  if (from.displayName) {
    return from.displayName;
  }
  if (!from.practitionerId) {
    return 'Care team';
  }

  const practitioner = await readFhir<FhirResource & { name?: HumanName[] }>(
    'Practitioner',
    from.practitionerId,
  );

  return displayName(practitioner, 'Care team');
}

/**
 * Sends a care-team member's reply into a patient's conversation. The sender's display name
 * travels with the message, so the patient reads who answered, not an id.
 */
export async function replyToPatient(
  patientId: string,
  text: string,
  from: StaffSender,
): Promise<CommunicationResource> {
  const sender = {
    ...(from.practitionerId ? { reference: `Practitioner/${from.practitionerId}` } : {}),
    display: await senderName(from),
  };

  return createFhir<CommunicationResource>({
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    sender,
    recipient: [{ reference: `Patient/${patientId}` }],
    sent: new Date().toISOString(),
    category: [{ text: 'secure-message' }],
    topic: { text: 'Reply from care team' },
    payload: [{ contentString: text }],
  });
}

/** Whether a message was written by the patient it is about. */
export function isFromPatient(message: CommunicationResource, patientId: string): boolean {
  return message.sender?.reference === `Patient/${patientId}`;
}

/** The text of a message. */
export function messageText(message: CommunicationResource): string {
  return (message.payload ?? []).map((p) => p.contentString ?? '').join('\n');
}
