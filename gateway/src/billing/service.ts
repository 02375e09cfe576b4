import type { ProfessionalClaim } from './claim.js';
import { scrubClaim } from './claim.js';
import {
  COMMUNICATION_ENTRY_PREFIX,
  minutesFromCommunications,
  type CommunicationSource,
} from './coding/communications.js';
import { addDays, dayIn, isTimeZone, monthBounds } from './coding/days.js';
import type { DeviceDaysSource, MinutesEntry } from './coding/inputs.js';
import { suggestMonth } from './coding/suggest-month.js';
import type { CodeSuggestion, CodingResult } from './coding/suggestion.js';
import { codeVisit } from './coding/telehealth.js';
import {
  feeFor,
  messageRuleOf,
  payerContract,
  type BillingConfig,
  type PayerContract,
} from './config.js';
import { BillingError } from './errors.js';
import type { BillingPatient, PatientDirectory } from './patients.js';
import { markBilled } from './store/billed-services.js';
import type { BillingStore } from './store/billing-store.js';
import type { StoredClaim } from './store/rows.js';
import { buildClaim837P } from './x12/claim-837p.js';
import {
  readEligibilityResponse,
  requestClaimStatus,
  requestEligibility,
  type LinkedEligibilityResponse,
} from './x12-exchanges.js';

/** What a {@link BillingService} is built from. */
export interface BillingServiceDeps {
  store: BillingStore;
  config: BillingConfig;
  deviceDays: DeviceDaysSource;
  patients: PatientDirectory;
  /** Calls and secure messages; without it only visits and manual entries fill the ledger. */
  communications?: CommunicationSource;
  /**
   * The practice's IANA time zone (`America/New_York`): visit days and message days are
   * counted in it, as the device-days source counts readings. Default UTC.
   */
  timeZone?: string;
  now?: () => Date;
}

/** A request to turn a month's suggestions into a claim. */
export interface CreateClaimRequest {
  patientId: string;
  month: string;
  payerId: string;
  /** ICD-10-CM codes; the patient's active problems when absent. */
  diagnoses?: string[];
  /**
   * The diagnoses each code is for (CPT code → ICD-10-CM codes of `diagnoses`, at most 4,
   * [X12 837P 2400 SV107]); a code not named points at the primary diagnosis only.
   */
  lineDiagnoses?: Record<string, string[]>;
  /** Only these codes of the month's ready suggestions (all when absent). */
  codes?: string[];
  renderingProvider?: ProfessionalClaim['renderingProvider'];
}

// [X12 837P 2400 SV107] a line points at up to four of the claim's diagnoses: the ones
// named for its code, else the primary diagnosis alone.
function pointersFor(
  code: string,
  diagnoses: readonly string[],
  named: Record<string, string[]> | undefined,
): number[] {
  const chosen = named?.[code] ?? diagnoses.slice(0, 1);
  const missing = chosen.filter((d) => !diagnoses.includes(d));
  if (missing.length > 0 || chosen.length > 4) {
    throw new BillingError('SCRUB_FAILED', `diagnoses of ${code} are wrong`, [
      ...missing.map((d) => `lineDiagnoses.${code}: ${d} is not among the claim's diagnoses`),
      ...(chosen.length > 4 ? [`lineDiagnoses.${code}: at most 4 diagnoses per line`] : []),
    ]);
  }

  return chosen.map((d) => diagnoses.indexOf(d) + 1);
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
    if (deps.timeZone !== undefined && !isTimeZone(deps.timeZone)) {
      throw new TypeError(`"timeZone" must be an IANA time zone: ${deps.timeZone}`);
    }

    this.#d = { now: () => new Date(), timeZone: 'UTC', ...deps };
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
    const { interactiveTime } = this.#d.config;
    const entries = minutesFromCommunications(facts, interactiveTime, this.#d.timeZone);
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

  // The payer named, else the one payer with a contract among the patient's coverages in
  // force during the month; never a guess between several.
  async #payerFor(patientId: string, month: string, payerId?: string): Promise<PayerContract> {
    const { config } = this.#d;
    if (payerId !== undefined) {
      return payerContract(config, payerId);
    }

    const { first, last } = monthBounds(month);
    const patient = await this.#d.patients.getBillingPatient(patientId);
    const inForce = (patient?.coverages ?? []).filter(
      (c) =>
        config.payers.some((p) => p.payerId === c.payerId) &&
        (c.start === undefined || c.start <= last) &&
        (c.end === undefined || c.end >= first),
    );
    const ids = [...new Set(inForce.map((c) => c.payerId))];
    if (ids.length !== 1) {
      throw new BillingError(
        'INVALID_INPUT',
        `payerId is required: patient ${patientId} has ${ids.length} coverage(s) with a contracted payer in ${month}`,
      );
    }

    return payerContract(config, ids[0]);
  }

  /**
   * Suggested codes for one patient and month, with explanations, for a payer (the patient's
   * one contracted Coverage when `payerId` is absent). A visit coded as an E/M service does
   * not also count toward RPM time; one too short to code does, as a real-time
   * interaction. Services a live claim already bills come back `billed`, saying which claim.
   */
  async suggest(patientId: string, month: string, payerId?: string): Promise<CodingResult> {
    const { first, last } = monthBounds(month);
    const payer = await this.#payerFor(patientId, month, payerId);
    const { store, timeZone } = this.#d;

    await this.reconcileMinutes(patientId, month);
    const [episodes, deviceDays, ledger, nearVisits, billed] = await Promise.all([
      store.ledger.listEpisodes(patientId),
      // a 30-day period that ends in this month began at most 29 days before it
      this.#d.deviceDays.deviceDays(patientId, addDays(first, -29), last),
      store.ledger.listMinutes(patientId, first, last),
      // a day either side: the month's edges are the practice's, not UTC's
      store.ledger.listVisits(patientId, addDays(first, -1), addDays(last, 1)),
      store.listBilledServices(patientId, addDays(first, -29), last),
    ]);
    const visits = nearVisits.filter((v) => {
      const day = dayIn(v.startedAt, timeZone);

      return day >= first && day <= last;
    });
    const coded = new Set(
      visits
        .filter((v) => codeVisit(v, payer.telehealth, timeZone).suggestions.length > 0)
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
        day: dayIn(v.startedAt, timeZone),
        minutes: v.durationMinutes,
        kind: v.video ? 'video' : 'audio',
        interactionEvidence: `visit:${v.visitId}`,
        visitId: v.visitId,
      });
    }

    const result = suggestMonth({
      patientId,
      month,
      episodes,
      deviceDays,
      entries,
      visits,
      telehealth: payer.telehealth,
      max99458Units: payer.max99458Units,
      messages: messageRuleOf(payer),
      timeZone,
      now: this.#d.now(),
    });

    return markBilled(result, billed);
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
    const limit = addDays(dayIn(this.#d.now(), this.#d.timeZone), -payer.timelyFilingDays);
    const late = chosen.filter((s) => s.dateOfService < limit);
    if (late.length > 0) {
      throw new BillingError(
        'SCRUB_FAILED',
        `past the ${payer.timelyFilingDays}-day timely filing limit of payer ${payer.payerId}`,
        late.map((s) => `${s.code} of ${s.dateOfService}: filed too late`),
      );
    }
    const diagnoses = req.diagnoses ?? patient.diagnoses;
    // [CMS: RPM lines carry the practice's POS; a visit line its own (10 home, 02 elsewhere)]
    const own = chosen.map((s) => s.placeOfService);
    const claimPos = own.every((p) => p !== undefined) ? own[0] : this.#d.config.placeOfService;
    const lines = chosen.map((s: CodeSuggestion) => ({
      code: s.code,
      modifiers: s.modifiers,
      units: s.units,
      chargeCents: feeFor(payer, s.code, s.modifiers, s.dateOfService).chargeCents * s.units,
      dateOfService: s.dateOfService,
      placeOfService: s.placeOfService ?? claimPos,
      diagnosisPointers: pointersFor(s.code, diagnoses, req.lineDiagnoses),
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
      coverageId: coverage.coverageId,
      patient: relationship === undefined ? undefined : { ...patient.person, relationship },
      placeOfService: claimPos,
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

  /**
   * The 837P last built for a claim; reading changes nothing, so a claim never built
   * (`submit837`, `POST …/837`) is `NOT_FOUND`.
   */
  async get837(claimId: string): Promise<string> {
    const last = await this.#d.store.latestSubmission(claimId);
    if (last === undefined) {
      throw new BillingError('NOT_FOUND', `no 837 built for claim ${claimId} yet`);
    }

    return last.x12;
  }

  /** A 270 eligibility inquiry for a patient's coverage with a payer, kept under its trace. */
  async eligibilityRequest(
    patientId: string,
    payerId: string,
    serviceDate: string,
  ): Promise<string> {
    const patient = await this.#patient(patientId);

    return requestEligibility(this.#d, patient, payerId, serviceDate);
  }

  /**
   * Reads a 271 and links it to the 270 whose trace (TRN02) it echoes: the answer comes
   * back with that `inquiry` (patient, payer, member id). Inactive coverage or a rejection
   * opens a worklist item naming the patient and coverage.
   */
  eligibilityResponse(text: string): Promise<LinkedEligibilityResponse> {
    return readEligibilityResponse(this.#d, text);
  }

  /** A 276 claim status request for a claim. */
  claimStatusRequest(claimId: string): Promise<string> {
    return requestClaimStatus(this.#d, claimId);
  }
}
