import type { BillingConfig } from './config.js';
import { payerContract } from './config.js';
import { BillingError } from './errors.js';
import type { BillingPatient } from './patients.js';
import type { BillingStore } from './store/billing-store.js';
import type { EligibilityInquiry } from './store/eligibility-store.js';
import { build276 } from './x12/claim-status.js';
import { build270, parse271, type EligibilityResponse } from './x12/eligibility.js';

/** What the X12 exchanges of {@link BillingService} read. */
export interface X12ExchangeContext {
  store: BillingStore;
  config: BillingConfig;
  now: () => Date;
}

/** A 271 with the 270 it answers, when that one is ours. */
export type LinkedEligibilityResponse = EligibilityResponse & { inquiry?: EligibilityInquiry };

/** Builds a 270 for a patient's coverage with a payer and keeps it under its trace number. */
export async function requestEligibility(
  ctx: X12ExchangeContext,
  patient: BillingPatient,
  payerId: string,
  serviceDate: string,
): Promise<string> {
  const { patientId } = patient;
  const payer = payerContract(ctx.config, payerId);
  const coverage = patient.coverages.find((c) => c.payerId === payerId);
  if (coverage === undefined) {
    throw new BillingError(
      'INVALID_INPUT',
      `patient ${patientId} has no coverage with payer ${payerId}`,
    );
  }

  const control = await ctx.store.nextControlNumbers();
  const who = coverage.subscriber ?? patient.person;
  const { config } = ctx;
  const traceNumber = `E${String(control.interchange).padStart(9, '0')}`;

  const x12 = build270({
    traceNumber,
    originatorId: `9${config.submitter.id}`.slice(0, 10).padEnd(10, '0'),
    payer: { payerId, name: payer.name },
    provider: { npi: config.billingProvider.npi, name: config.billingProvider.name },
    subscriber: {
      memberId: coverage.memberId,
      lastName: who.lastName,
      firstName: who.firstName,
      birthDate: who.birthDate,
      sex: who.sex,
    },
    serviceDate,
    senderId: config.submitter.id,
    receiverId: payer.receiver.id,
    control,
    usage: config.usage,
    now: ctx.now(),
  });
  await ctx.store.saveEligibilityInquiry({
    traceNumber,
    patientId,
    payerId,
    memberId: coverage.memberId,
    serviceDate,
    interchangeControl: control.interchange,
  });

  return x12;
}

/**
 * Reads a 271 and links it to the 270 whose trace (TRN02) it echoes: the answer comes
 * back with that `inquiry` (patient, payer, member id). Inactive coverage or a rejection
 * opens a worklist item naming the patient and coverage.
 */
export async function readEligibilityResponse(
  ctx: X12ExchangeContext,
  text: string,
): Promise<LinkedEligibilityResponse> {
  const answer = parse271(text);

  const inquiry = await ctx.store.recordEligibilityAnswer(answer);
  if (!answer.active || answer.rejections.length > 0) {
    await ctx.store.addWorklistItem({
      kind: 'eligibility',
      reason:
        answer.rejections.length > 0
          ? `eligibility rejected: AAA ${answer.rejections.map((r) => `${r.reason}/${r.followUp ?? '-'}`).join(', ')}`
          : 'coverage is not active',
      details: {
        traceNumber: answer.traceNumber,
        payerId: inquiry?.payerId ?? answer.payer.payerId,
        patientId: inquiry?.patientId,
        memberId: inquiry?.memberId,
        serviceDate: inquiry?.serviceDate,
        rejections: answer.rejections,
      },
    });
  }

  return inquiry === undefined ? answer : { ...answer, inquiry };
}

/** Builds a 276 claim status request for a claim. */
export async function requestClaimStatus(
  ctx: X12ExchangeContext,
  claimId: string,
): Promise<string> {
  const stored = await ctx.store.getClaim(claimId);
  const payer = payerContract(ctx.config, stored.payerId);
  const days = stored.claim.lines.map((l) => l.dateOfService).sort();

  const control = await ctx.store.nextControlNumbers();
  const { config } = ctx;
  const s = stored.claim.subscriber;

  return build276({
    traceNumber: `S${String(control.interchange).padStart(9, '0')}`,
    payer: { payerId: payer.payerId, name: payer.name },
    submitter: { id: config.submitter.id, name: config.submitter.name },
    provider: { npi: config.billingProvider.npi, name: config.billingProvider.name },
    subscriber: { memberId: s.memberId, lastName: s.lastName, firstName: s.firstName },
    claim: {
      id: stored.id,
      totalCents: stored.totalCents,
      from: days[0],
      to: days[days.length - 1],
      payerClaimNumber: stored.payerClaimNumber,
    },
    senderId: config.submitter.id,
    receiverId: payer.receiver.id,
    control,
    usage: config.usage,
    now: ctx.now(),
  });
}
