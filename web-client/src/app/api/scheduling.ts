import { searchFhir, type FhirResource } from './fhir.js';

/** A FHIR Appointment, reduced to what the app shows. */
export interface AppointmentResource extends FhirResource {
  resourceType: 'Appointment';
  status?: string;
  start?: string;
  end?: string;
  description?: string;
  serviceType?: Array<{ text?: string }>;
  participant?: Array<{ actor?: { reference?: string; display?: string }; status?: string }>;
}

/** Start of the local day, as an ISO string. */
function dayStart(offsetDays: number, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offsetDays);

  return d.toISOString();
}

/** Today's appointments the signed-in user takes part in (the hub narrows by role). */
export function listTodaysVisits(): Promise<AppointmentResource[]> {
  return searchFhir<AppointmentResource>('Appointment', {
    date: [`ge${dayStart(0)}`, `lt${dayStart(1)}`],
    _sort: 'date',
    _count: '100',
  });
}

/** Upcoming appointments of a patient, soonest first. */
export function listUpcomingVisits(patientId: string): Promise<AppointmentResource[]> {
  return searchFhir<AppointmentResource>('Appointment', {
    patient: patientId,
    date: `ge${dayStart(0)}`,
    _sort: 'date',
    _count: '20',
  });
}

/** The patient id an appointment is for, from its participants. */
export function patientOf(appointment: AppointmentResource): string | undefined {
  const ref = appointment.participant
    ?.map((p) => p.actor?.reference ?? '')
    .find((r) => r.startsWith('Patient/'));

  return ref?.slice('Patient/'.length);
}

/**
 * The URL of the video visit page for an appointment. The page (same origin, same tab, so the
 * session in `sessionStorage` comes along) asks the hub for a join token and the SFU node's
 * signaling URL; see `web-client/src/visit/join-token.ts`.
 */
export function visitUrl(appointmentId: string): string {
  return `/visit.html?appointment=${encodeURIComponent(appointmentId)}`;
}

/** Whether a visit can be joined now: from 15 minutes before its start until its end. */
export function isJoinable(appointment: AppointmentResource, now: number): boolean {
  if (!appointment.start || appointment.status === 'cancelled') {
    return false;
  }
  const start = Date.parse(appointment.start);
  const end = appointment.end ? Date.parse(appointment.end) : start + 60 * 60_000;

  return now >= start - 15 * 60_000 && now <= end;
}
