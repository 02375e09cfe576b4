import { runMigrations, type Database } from '@sparkden/alerting';

import { claimTotalCents, type ProfessionalClaim } from '../claim.js';
import type { CodeSuggestion } from '../coding/suggestion.js';
import { BillingError } from '../errors.js';
import type { ControlNumbers } from '../x12/envelope.js';
import { parse835Sets } from '../x12/remit-835.js';
import type { ClaimStatusAnswer } from '../x12/claim-status.js';
import type { EligibilityResponse } from '../x12/eligibility.js';
import {
  applyClaimStatus,
  listClaimStatus,
  type ClaimStatusEntry,
  type ClaimStatusSummary,
} from './claim-status-store.js';
import { listBilledServices, recordBilledServices, type BilledService } from './billed-services.js';
import {
  recordEligibilityAnswer,
  saveEligibilityInquiry,
  type EligibilityInquiry,
} from './eligibility-store.js';
import { LedgerStore } from './ledger-store.js';
import { billingMigrations } from './migrations.js';
import { postRemittance, type PostingSummary } from './post-remittance.js';
import {
  toStoredClaim,
  toWorklistItem,
  type ClaimRow,
  type ClaimStatusName,
  type StoredClaim,
  type WorklistItem,
  type WorklistRow,
} from './rows.js';

/** Options of {@link BillingStore}. */
export interface BillingStoreOptions {
  db: Database;
  /** The clock (injected for tests). */
  now?: () => Date;
}

// [PostgreSQL SQLSTATE 2200H: sequence generator limit exceeded]
const SEQUENCE_LIMIT = '2200H';

/**
 * The `billing` schema: claims with their X12 submissions, remittances, payments and the clerk's worklist.
 *
 * @example
 * ```ts
 * const store = await BillingStore.open({ db });
 * await store.ledger.addMinutes(entry);
 * const summary = await store.post835(text);
 * ```
 */
export class BillingStore {
  readonly #db: Database;
  readonly #now: () => Date;
  /** Episodes, the minutes ledger and visits. */
  readonly ledger: LedgerStore;

  constructor(options: BillingStoreOptions) {
    this.#db = options.db;
    this.ledger = new LedgerStore(options.db);
    this.#now = options.now ?? (() => new Date());
  }

  /** Brings the `billing` schema up to date and returns a store on it. */
  static async open(options: BillingStoreOptions): Promise<BillingStore> {
    await runMigrations(options.db, { schema: 'billing', migrations: billingMigrations });

    return new BillingStore(options);
  }

  /** Fresh ISA13/GS06 control numbers from the persisted sequence; never the same twice. */
  async nextControlNumbers(): Promise<ControlNumbers> {
    try {
      const { rows } = await this.#db.query<{ n: number }>(
        `select nextval('billing.x12_control') as n`,
      );
      const n = rows[0].n;

      return { interchange: n, group: n };
    } catch (error) {
      if ((error as { code?: string }).code === SEQUENCE_LIMIT) {
        throw new BillingError('CONTROL_NUMBERS_EXHAUSTED', 'ISA13 reached 999999999', [], {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** A new claim id (`SD-2026-000042`), the patient control number sent in CLM01. */
  async nextClaimId(): Promise<string> {
    const { rows } = await this.#db.query<{ n: number }>(
      `select nextval('billing.claim_number') as n`,
    );

    return `SD-${this.#now().getUTCFullYear()}-${String(rows[0].n).padStart(6, '0')}`;
  }

  /**
   * Stores a scrubbed claim as `ready`, with the suggestions it came from, and records the
   * services it bills in the same transaction: a service another live claim holds fails
   * with `ALREADY_BILLED` and nothing is stored.
   */
  async createClaim(
    claim: ProfessionalClaim,
    suggestions: CodeSuggestion[] = [],
  ): Promise<StoredClaim> {
    const now = this.#now();

    const row = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<ClaimRow>(
        `insert into billing.claims (id, patient_id, payer_id, status, total_cents, claim, suggestions, created_at, updated_at)
         values ($1, $2, $3, 'ready', $4, $5, $6, $7, $7) returning *`,
        [
          claim.id,
          claim.patientId,
          claim.payer.payerId,
          claimTotalCents(claim),
          JSON.stringify(claim),
          JSON.stringify(suggestions),
          now,
        ],
      );
      await recordBilledServices(tx, claim, suggestions, now);

      return rows[0];
    });

    return toStoredClaim(row);
  }

  /** Services live claims of a patient already bill, for periods touching `from`..`to`. */
  listBilledServices(patientId: string, from: string, to: string): Promise<BilledService[]> {
    return listBilledServices(this.#db, patientId, from, to);
  }

  /** One claim, or a `NOT_FOUND` BillingError. */
  async getClaim(id: string): Promise<StoredClaim> {
    const { rows } = await this.#db.query<ClaimRow>('select * from billing.claims where id = $1', [
      id,
    ]);
    const row = rows[0];
    if (row === undefined) {
      throw new BillingError('NOT_FOUND', `no claim ${id}`);
    }

    return toStoredClaim(row);
  }

  /** Claims, newest first, optionally of one patient or in one status. */
  async listClaims(
    filter: { patientId?: string; status?: ClaimStatusName; limit?: number } = {},
  ): Promise<StoredClaim[]> {
    const { rows } = await this.#db.query<ClaimRow>(
      `select * from billing.claims
       where ($1::text is null or patient_id = $1) and ($2::text is null or status = $2)
       order by created_at desc, id desc limit $3`,
      [filter.patientId ?? null, filter.status ?? null, Math.min(filter.limit ?? 100, 1000)],
    );

    return rows.map(toStoredClaim);
  }

  /**
   * One page of claims, newest first, and how many match in all: of one patient, with
   * these ids, and (`withPayments`) only those a remittance has paid or denied.
   */
  async pageClaims(filter: {
    patientId?: string | undefined;
    ids?: string[] | undefined;
    withPayments?: boolean;
    limit: number;
    offset: number;
  }): Promise<{ claims: StoredClaim[]; total: number }> {
    const where = `($1::text is null or c.patient_id = $1) and ($2::text[] is null or c.id = any($2))
      and (not $3 or exists (select 1 from billing.payments p where p.claim_id = c.id))`;
    const values = [filter.patientId ?? null, filter.ids ?? null, filter.withPayments === true];
    const counted = await this.#db.query<{ n: number | string }>(
      `select count(*)::int8 as n from billing.claims c where ${where}`,
      values,
    );
    const { rows } =
      filter.limit === 0
        ? { rows: [] as ClaimRow[] }
        : await this.#db.query<ClaimRow>(
            `select c.* from billing.claims c where ${where}
             order by c.created_at desc, c.id desc limit $4 offset $5`,
            [...values, filter.limit, filter.offset],
          );

    return { claims: rows.map(toStoredClaim), total: Number(counted.rows[0]?.n ?? 0) };
  }

  /** Keeps the 837 sent for a claim under its interchange control number; marks it submitted. */
  async saveSubmission(claimId: string, control: ControlNumbers, x12: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(
        'insert into billing.submissions (interchange_control, claim_id, x12, created_at) values ($1, $2, $3, $4)',
        [control.interchange, claimId, x12, this.#now()],
      );
      await tx.query(
        `update billing.claims set status = 'submitted', updated_at = $2 where id = $1 and status = 'ready'`,
        [claimId, this.#now()],
      );
    });
  }

  /** Applies a parsed 277 to the claims it names, with status history; one transaction. */
  applyClaimStatus(answers: readonly ClaimStatusAnswer[]): Promise<ClaimStatusSummary> {
    return applyClaimStatus(this.#db, answers, this.#now());
  }

  /** Every status a payer reported for a claim, oldest first. */
  listClaimStatus(claimId: string): Promise<ClaimStatusEntry[]> {
    return listClaimStatus(this.#db, claimId);
  }

  /** The last 837 built for a claim, if any. */
  async latestSubmission(
    claimId: string,
  ): Promise<{ interchangeControl: number; x12: string } | undefined> {
    const { rows } = await this.#db.query<{ interchange_control: number; x12: string }>(
      `select interchange_control, x12 from billing.submissions where claim_id = $1
       order by created_at desc, interchange_control desc limit 1`,
      [claimId],
    );
    const row = rows[0];

    return row === undefined
      ? undefined
      : { interchangeControl: row.interchange_control, x12: row.x12 };
  }

  /**
   * Parses and posts an 835, every transaction set of it, in one transaction. A parse error (an X12Error naming the
   * segment), a duplicate or a mismatch leaves the database as it was.
   */
  async post835(text: string): Promise<PostingSummary> {
    const remits = parse835Sets(text);

    return this.#db.transaction((tx) => postRemittance(tx, remits, text, this.#now()));
  }

  /** Keeps a 270 sent, under its trace number (TRN02). */
  saveEligibilityInquiry(inquiry: EligibilityInquiry): Promise<void> {
    return saveEligibilityInquiry(this.#db, inquiry, this.#now());
  }

  /** Links a 271 to the 270 it answers and records it there; undefined when none matches. */
  recordEligibilityAnswer(answer: EligibilityResponse): Promise<EligibilityInquiry | undefined> {
    return recordEligibilityAnswer(this.#db, answer, this.#now());
  }

  /** Opens a worklist item outside remittance posting (e.g. a rejected eligibility check). */
  async addWorklistItem(item: {
    kind: 'eligibility';
    claimId?: string;
    reason: string;
    details: Record<string, unknown>;
  }): Promise<WorklistItem> {
    const { rows } = await this.#db.query<WorklistRow>(
      `insert into billing.worklist (kind, claim_id, reason, details, created_at) values ($1, $2, $3, $4, $5) returning *`,
      [item.kind, item.claimId ?? null, item.reason, JSON.stringify(item.details), this.#now()],
    );

    return toWorklistItem(rows[0]);
  }

  /** Worklist items, open ones only unless `all`. */
  async listWorklist(options: { all?: boolean } = {}): Promise<WorklistItem[]> {
    const { rows } = await this.#db.query<WorklistRow>(
      `select * from billing.worklist where $1 or resolved_at is null order by created_at, id`,
      [options.all === true],
    );

    return rows.map(toWorklistItem);
  }

  /** Marks a worklist item done by `by` (an opaque user id). */
  async resolveWorklistItem(id: number, by: string): Promise<WorklistItem> {
    const { rows } = await this.#db.query<WorklistRow>(
      `update billing.worklist set resolved_at = $2, resolved_by = $3 where id = $1 and resolved_at is null returning *`,
      [id, this.#now(), by],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new BillingError('NOT_FOUND', `no open worklist item ${id}`);
    }

    return toWorklistItem(row);
  }

  /** Payments and adjustments posted against one claim. */
  async listPayments(claimId: string) {
    const { rows } = await this.#db.query<{
      id: number;
      remittance_id: number;
      claim_status: string;
      paid_cents: number;
      patient_responsibility_cents: number;
      adjustments: { group: string; reason: string; amountCents: number; lineRef: string | null }[];
    }>(
      `select p.id, p.remittance_id, p.claim_status, p.paid_cents, p.patient_responsibility_cents,
         coalesce(json_agg(json_build_object('group', a.group_code, 'reason', a.reason_code,
           'amountCents', a.amount_cents, 'lineRef', a.line_ref) order by a.id)
           filter (where a.id is not null), '[]') as adjustments
       from billing.payments p left join billing.adjustments a on a.payment_id = p.id
       where p.claim_id = $1 group by p.id order by p.id`,
      [claimId],
    );

    return rows.map((r) => ({
      id: Number(r.id),
      remittanceId: Number(r.remittance_id),
      claimStatus: r.claim_status,
      paidCents: r.paid_cents,
      patientResponsibilityCents: r.patient_responsibility_cents,
      adjustments: r.adjustments,
    }));
  }
}
