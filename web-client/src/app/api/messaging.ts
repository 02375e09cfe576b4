import { createFhir, searchFhir, type FhirResource } from './fhir.js';

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

/** The text of a message. */
export function messageText(message: CommunicationResource): string {
  return (message.payload ?? []).map((p) => p.contentString ?? '').join('\n');
}
