import type { ProfessionalClaim } from './claim.js';
import { scrubClaim } from './claim.js';
import {
  COMMUNICATION_ENTRY_PREFIX,
  minutesFromCommunications,
  type CommunicationSource,
} from './coding/communications.js';
import { addDays, dayOf, monthBounds } from './coding/days.js';
import type { DeviceDaysSource, MinutesEntry } from './coding/inputs.js';
import { suggestMonth } from './coding/suggest-month.js';
import type { CodeSuggestion, CodingResult } from './coding/suggestion.js';
import { codeVisit } from './coding/telehealth.js';
import { feeFor, payerContract, type BillingConfig } from './config.js';
import { BillingError } from './errors.js';
import type { BillingPatient, PatientDirectory } from './patients.js';
import type { BillingStore } from './store/billing-store.js';
import type { StoredClaim } from './store/rows.js';
import { buildClaim837P } from './x12/claim-837p.js';
import { build276 } from './x12/claim-status.js';
import { build270, parse271, type EligibilityResponse } from './x12/eligibility.js';

/** What a {@link BillingService} is built from. */
export interface BillingServiceDeps {
  store: BillingStore;
  config: BillingConfig;
  deviceDays: DeviceDaysSource;
  patients: PatientDirectory;
  /** Calls and secure messages; without it only visits and manual entries fill the ledger. */
  communications?: CommunicationSource;
  now?: () => Date;
}

/** A request to turn a month's suggestions into a claim. */
export interface CreateClaimRequest {
  patientId: string;
  month: string;
  payerId: string;
  /** ICD-10-CM codes; the patient's active problems when absent. */
  diagnoses?: string[];
  /** Only these codes of the month's ready suggestions (all when absent). */
  codes?: string[];
  renderingProvider?: ProfessionalClaim['renderingProvider'];
}

/**
 * Billing's use cases over the store, the configuration and the hub's data: suggestions
 * per patient and month, claims from suggestions, X12 out (837P, 270, 276) and in (271).
 *
 * @example
 * ```ts
 * const billing = new BillingService({ store, config, deviceDays, patients });
 * const { suggestions } = await billing.suggest('p1', '2026-03');
 * ```
 */
export class BillingService {
  readonly #d: Required<Omit<BillingServiceDeps, 'communications'>> &
    Pick<BillingServiceDeps, 'communications'>;

  constructor(deps: BillingServiceDeps) {
    this.#d = { now: () => new Date(), ...deps };
  }

  /**
   * Recomputes the month's ledger entries that come from calls and secure messages (rule in
   * {@link minutesFromCommunications}, settings in `interactiveTime`), replacing the ones
   * computed before: reconciling again, or after a late reply joins an exchange, never counts
   * a Communication twice. An exchange belongs to the day of its first message, so the
   * communications of the day either side of the month are read too.
   */
  async reconcileMinutes(patientId: string, month: string): Promise<void> {
    const { first, last } = monthBounds(month);
    const source = this.#d.communications;
    if (source === undefined) {
      return;
    }

    const facts = await source.communications(patientId, addDays(first, -1), addDays(last, 1));
    const entries = minutesFromCommunications(facts, this.#d.config.interactiveTime);
    await this.#d.store.ledger.replaceMinutes(
      patientId,
      first,
      last,
      COMMUNICATION_ENTRY_PREFIX,
      entries,
    );
  }

  /** The month's ledger entries, communications reconciled first. */
  async listMinutes(patientId: string, month: string): Promise<MinutesEntry[]> {
    const { first, last } = monthBounds(month);

    await this.reconcileMinutes(patientId, month);

    return this.#d.store.ledger.listMinutes(patientId, first, last);
  }

  get store(): BillingStore {
    return this.#d.store;
  }

  async #patient(patientId: string): Promise<BillingPatient> {
    const p = await this.#d.patients.getBillingPatient(patientId);
    if (p === undefined) {
      throw new BillingError('NOT_FOUND', `no billing data for patient ${patientId}`);
    }

    return p;
  }

  /**
   * Suggested codes for one patient and month, with explanations. A visit coded as an E/M
   * service does not also count toward RPM time; one too short to code does, as a
   * real-time interaction.
   */
  async suggest(patientId: string, month: string, payerId?: string): Promise<CodingResult> {
    const { first, last } = monthBounds(month);
    const payer =
      payerId === undefined ? this.#d.config.payers[0] : payerContract(this.#d.config, payerId);

    const { store } = this.#d;
    await this.reconcileMinutes(patientId, month);
    const [episodes, deviceDays, ledger, visits] = await Promise.all([
      store.ledger.listEpisodes(patientId),
      // a 30-day period that ends in this month began at most 29 days before it
      this.#d.deviceDays.deviceDays(patientId, addDays(first, -29), last),
      store.ledger.listMinutes(patientId, first, last),
      store.ledger.listVisits(patientId, first, last),
    ]);
    const coded = new Set(
      visits
        .filter((v) => codeVisit(v, payer.telehealth).suggestions.length > 0)
        .map((v) => v.visitId),
    );
    const entries: MinutesEntry[] = ledger.map((e) =>
      e.visitId !== undefined && coded.has(e.visitId) ? { ...e, billedSeparately: true } : e,
    );
    for (const v of visits.filter(
      (x) => !coded.has(x.visitId) && !ledger.some((e) => e.visitId === x.visitId),
    )) {
      entries.push({
        id: `visit:${v.visitId}`,
        patientId,
        clinicianId: v.clinicianId,
        occurredAt: v.startedAt,
        day: v.startedAt.slice(0, 10),
        minutes: v.durationMinutes,
        kind: v.video ? 'video' : 'audio',
        interactionEvidence: `visit:${v.visitId}`,
        visitId: v.visitId,
      });
    }

    return suggestMonth({
      patientId,
      month,
      episodes,
      deviceDays,
      entries,
      visits,
      telehealth: payer.telehealth,
      max99458Units: payer.max99458Units,
      now: this.#d.now(),
    });
  }

  /** Builds a claim from the month's ready suggestions, scrubs it and stores it. */
  async createClaim(req: CreateClaimRequest): Promise<StoredClaim> {
    const payer = payerContract(this.#d.config, req.payerId);
    const patient = await this.#patient(req.patientId);
    const coverage = patient.coverages.find((c) => c.payerId === req.payerId);
    if (coverage === undefined) {
      throw new BillingError(
        'INVALID_INPUT',
        `patient ${req.patientId} has no coverage with payer ${req.payerId}`,
      );
    }

    const { suggestions } = await this.suggest(req.patientId, req.month, req.payerId);
    const chosen = suggestions.filter(
      (s) => s.status === 'ready' && (req.codes === undefined || req.codes.includes(s.code)),
    );
    if (chosen.length === 0) {
      throw new BillingError(
        'INVALID_INPUT',
        `nothing ready to bill for ${req.month}`,
        suggestions.map((s) => `${s.code}: ${s.status}`),
      );
    }
    // [payer contract: timely filing] a line past the limit is refused, not sent to be denied
    const limit = addDays(dayOf(this.#d.now()), -payer.timelyFilingDays);
    const late = chosen.filter((s) => s.dateOfService < limit);
    if (late.length > 0) {
      throw new BillingError(
        'SCRUB_FAILED',
        `past the ${payer.timelyFilingDays}-day timely filing limit of payer ${payer.payerId}`,
        late.map((s) => `${s.code} of ${s.dateOfService}: filed too late`),
      );
    }
    const diagnoses = req.diagnoses ?? patient.diagnoses;
    const pointers = diagnoses.slice(0, 4).map((_, i) => i + 1);
    const lines = chosen.map((s: CodeSuggestion) => ({
      code: s.code,
      modifiers: s.modifiers,
      units: s.units,
      chargeCents: feeFor(payer, s.code, s.modifiers, s.dateOfService).chargeCents * s.units,
      dateOfService: s.dateOfService,
      placeOfService: s.placeOfService,
      diagnosisPointers: pointers,
      explanation: s.explanation,
    }));
    const { relationship, ...subscriberPerson } = coverage.subscriber ?? {
      ...patient.person,
      relationship: undefined,
    };
    const draft = {
      id: await this.#d.store.nextClaimId(),
      patientId: req.patientId,
      payer: {
        payerId: payer.payerId,
        name: payer.name,
        claimFilingIndicator: payer.claimFilingIndicator,
      },
      billingProvider: this.#d.config.billingProvider,
      renderingProvider: req.renderingProvider,
      subscriber: {
        ...subscriberPerson,
        memberId: coverage.memberId,
        groupNumber: coverage.groupNumber,
      },
      patient: relationship === undefined ? undefined : { ...patient.person, relationship },
      // [CMS: RPM is reported with the billing practice's POS; a visit line carries its own]
      placeOfService: '11',
      diagnoses,
      lines,
    };
    return this.#d.store.createClaim(scrubClaim(draft), chosen);
  }

  /** Builds a fresh 837P for a claim under new control numbers and keeps it. */
  async submit837(claimId: string): Promise<string> {
    const stored = await this.#d.store.getClaim(claimId);
    const payer = payerContract(this.#d.config, stored.payerId);

    const control = await this.#d.store.nextControlNumbers();
    const x12 = buildClaim837P(stored.claim, {
      submitter: this.#d.config.submitter,
      receiver: payer.receiver,
      control,
      usage: this.#d.config.usage,
      now: this.#d.now(),
    });
    await this.#d.store.saveSubmission(claimId, control, x12);

    return x12;
  }

  /** The 837P last built for a claim, building one when there is none. */
  async get837(claimId: string): Promise<string> {
    const last = await this.#d.store.latestSubmission(claimId);

    return last?.x12 ?? this.submit837(claimId);
  }

  /** A 270 eligibility inquiry for a patient's coverage with a payer. */
  async eligibilityRequest(
    patientId: string,
    payerId: string,
    serviceDate: string,
  ): Promise<string> {
    const payer = payerContract(this.#d.config, payerId);
    const patient = await this.#patient(patientId);
    const coverage = patient.coverages.find((c) => c.payerId === payerId);
    if (coverage === undefined) {
      throw new BillingError(
        'INVALID_INPUT',
        `patient ${patientId} has no coverage with payer ${payerId}`,
      );
    }

    const control = await this.#d.store.nextControlNumbers();
    const who = coverage.subscriber ?? patient.person;
    const { config } = this.#d;

    return build270({
      traceNumber: `E${String(control.interchange).padStart(9, '0')}`,
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
      now: this.#d.now(),
    });
  }

  /** Reads a 271; inactive coverage or a rejection opens a worklist item. */
  async eligibilityResponse(text: string): Promise<EligibilityResponse> {
    const answer = parse271(text);

    if (!answer.active || answer.rejections.length > 0) {
      await this.#d.store.addWorklistItem({
        kind: 'eligibility',
        reason:
          answer.rejections.length > 0
            ? `eligibility rejected: AAA ${answer.rejections.map((r) => `${r.reason}/${r.followUp ?? '-'}`).join(', ')}`
            : 'coverage is not active',
        details: {
          traceNumber: answer.traceNumber,
          payerId: answer.payer.payerId,
          rejections: answer.rejections,
        },
      });
    }

    return answer;
  }

  /** A 276 claim status request for a claim. */
  async claimStatusRequest(claimId: string): Promise<string> {
    const stored = await this.#d.store.getClaim(claimId);
    const payer = payerContract(this.#d.config, stored.payerId);
    const days = stored.claim.lines.map((l) => l.dateOfService).sort();

    const control = await this.#d.store.nextControlNumbers();
    const { config } = this.#d;
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
      now: this.#d.now(),
    });
  }
}
