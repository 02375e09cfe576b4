import type { Queryable } from '@sparkden/alerting';

import type { EligibilityResponse } from '../x12/eligibility.js';

/** A 270 as kept under its trace number (TRN02), so the 271 that echoes it finds its patient. */
export interface EligibilityInquiry {
  traceNumber: string;
  patientId: string;
  payerId: string;
  memberId: string;
  serviceDate: string;
  interchangeControl: number;
}

/** Keeps a 270 sent, under its trace number. */
export async function saveEligibilityInquiry(
  db: Queryable,
  inquiry: EligibilityInquiry,
  now: Date,
): Promise<void> {
  await db.query(
    `insert into billing.eligibility_requests (trace_number, patient_id, payer_id, member_id,
       service_date, interchange_control, created_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      inquiry.traceNumber,
      inquiry.patientId,
      inquiry.payerId,
      inquiry.memberId,
      inquiry.serviceDate,
      inquiry.interchangeControl,
      now,
    ],
  );
}

/**
 * Links a parsed 271 to the 270 whose trace it echoes (TRN*2), recording the answer there;
 * returns that 270, or undefined when the trace names none of ours.
 */
export async function recordEligibilityAnswer(
  db: Queryable,
  answer: EligibilityResponse,
  now: Date,
): Promise<EligibilityInquiry | undefined> {
  if (answer.traceNumber === undefined) {
    return undefined;
  }

  const { rows } = await db.query<{
    trace_number: string;
    patient_id: string;
    payer_id: string;
    member_id: string;
    service_date: string;
    interchange_control: string | number;
  }>(
    `update billing.eligibility_requests set responded_at = $2, active = $3, response = $4
      where trace_number = $1
      returning trace_number, patient_id, payer_id, member_id, service_date::text,
        interchange_control`,
    [answer.traceNumber, now, answer.active, JSON.stringify(answer)],
  );
  const r = rows[0];

  return r === undefined
    ? undefined
    : {
        traceNumber: r.trace_number,
        patientId: r.patient_id,
        payerId: r.payer_id,
        memberId: r.member_id,
        serviceDate: r.service_date,
        interchangeControl: Number(r.interchange_control),
      };
}
