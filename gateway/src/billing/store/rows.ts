import type { ProfessionalClaim } from '../claim.js';
import type { CodeSuggestion } from '../coding/suggestion.js';

/** Where a claim is in its life. */
export type ClaimStatusName =
  'ready' | 'submitted' | 'paid' | 'partially-paid' | 'denied' | 'reversed';

/** A claim as stored, with its money in cents. */
export interface StoredClaim {
  id: string;
  patientId: string;
  payerId: string;
  status: ClaimStatusName;
  totalCents: number;
  paidCents: number;
  patientResponsibilityCents: number;
  payerClaimNumber?: string;
  claim: ProfessionalClaim;
  suggestions: CodeSuggestion[];
  createdAt: string;
  updatedAt: string;
}

/** Why a worklist item exists. */
export type WorklistKind = 'denial' | 'partial' | 'reversal' | 'unmatched' | 'eligibility';

/** Something a billing clerk must look at. */
export interface WorklistItem {
  id: number;
  kind: WorklistKind;
  claimId?: string;
  remittanceId?: number;
  reason: string;
  details: Record<string, unknown>;
  createdAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
}

/** The raw row shape of `billing.claims`. */
export interface ClaimRow {
  id: string;
  patient_id: string;
  payer_id: string;
  status: ClaimStatusName;
  total_cents: number;
  paid_cents: number;
  patient_responsibility_cents: number;
  payer_claim_number: string | null;
  claim: ProfessionalClaim;
  suggestions: CodeSuggestion[];
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/** Maps a `billing.claims` row. */
export function toStoredClaim(r: ClaimRow): StoredClaim {
  return {
    id: r.id,
    patientId: r.patient_id,
    payerId: r.payer_id,
    status: r.status,
    totalCents: r.total_cents,
    paidCents: r.paid_cents,
    patientResponsibilityCents: r.patient_responsibility_cents,
    payerClaimNumber: r.payer_claim_number ?? undefined,
    claim: r.claim,
    suggestions: r.suggestions,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** The raw row shape of `billing.worklist`. */
export interface WorklistRow {
  id: number;
  kind: WorklistKind;
  claim_id: string | null;
  remittance_id: number | null;
  reason: string;
  details: Record<string, unknown>;
  created_at: Date | string;
  resolved_at: Date | string | null;
  resolved_by: string | null;
}

/** Maps a `billing.worklist` row. */
export function toWorklistItem(r: WorklistRow): WorklistItem {
  return {
    id: Number(r.id),
    kind: r.kind,
    claimId: r.claim_id ?? undefined,
    remittanceId: r.remittance_id === null ? undefined : Number(r.remittance_id),
    reason: r.reason,
    details: r.details,
    createdAt: iso(r.created_at),
    resolvedAt: r.resolved_at === null ? undefined : iso(r.resolved_at),
    resolvedBy: r.resolved_by ?? undefined,
  };
}
