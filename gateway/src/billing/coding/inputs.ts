/** One device that sent at least one reading on one day. */
export interface DeviceDay {
  /** The practice's calendar day, `YYYY-MM-DD`. */
  day: string;
  /** The device (a swap shows up as a new id). */
  deviceId: string;
  /** Readings that device sent that day (at least 1). */
  readings: number;
}

/**
 * Where device-days come from: the vitals store answers it (the hub wires
 * `deviceDays`-style queries of `@sparkden/alerting` behind this interface).
 *
 * @example
 * ```ts
 * const source: DeviceDaysSource = {
 *   deviceDays: (patientId, from, to) => vitals.deviceDays({ patientId, from, to }),
 * };
 * ```
 */
export interface DeviceDaysSource {
  /** Device-days of one patient from `from` to `to`, both `YYYY-MM-DD` and inclusive. */
  deviceDays(patientId: string, from: string, to: string): Promise<DeviceDay[]>;
}

/** An RPM episode of care: one set-up (99453), then 30-day device-supply periods. */
export interface RpmEpisode {
  id: string;
  patientId: string;
  /** First day of monitoring; 30-day periods are counted from here. */
  start: string;
  /** Last day of monitoring, when the episode has ended. */
  end?: string;
}

/** How clinician time in the ledger was spent. */
export type InteractionKind = 'video' | 'audio' | 'message' | 'review';

/** One entry of the monthly treatment-management ledger. */
export interface MinutesEntry {
  id: string;
  patientId: string;
  /** Who spent the time (clinician or clinical staff id). */
  clinicianId: string;
  /** When the time was spent (ISO 8601). */
  occurredAt: string;
  /** The practice's calendar day of `occurredAt`, `YYYY-MM-DD`. */
  day: string;
  minutes: number;
  kind: InteractionKind;
  /**
   * Proof of real-time interaction with the patient or caregiver (a visit id, a call
   * record, a message thread with a synchronous reply); absent when there was none.
   */
  interactionEvidence?: string;
  /** The visit the time came from, when it came from one. */
  visitId?: string;
  /** True when the time is already billed as its own service (an E/M visit). */
  billedSeparately?: boolean;
}

/** A video or audio visit that ended, as the SFU reports it. */
export interface VisitEnded {
  visitId: string;
  patientId: string;
  clinicianId: string;
  startedAt: string;
  endedAt: string;
  /** Minutes the visit lasted (the SFU's count). */
  durationMinutes: number;
  /** Whether video was used at any point; false means audio-only. */
  video: boolean;
  /** Where the patient was: at home, or elsewhere. */
  patientLocation: 'home' | 'other';
  /** Whether the patient is new to the practice (no visit in the last 3 years). */
  newPatient: boolean;
}
