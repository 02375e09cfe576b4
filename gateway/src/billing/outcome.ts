import { BillingError, X12Error, type BillingErrorCode } from './errors.js';

/** A FHIR R4 `OperationOutcome` answering a failed billing request. */
export interface BillingOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: 'error'; code: string; diagnostics: string; expression?: string[] }[];
}

// [FHIR R4 http] status and issue type per billing error code
const STATUS: Record<BillingErrorCode, [number, string]> = {
  INVALID_CONFIG: [500, 'exception'],
  INVALID_INPUT: [400, 'invalid'],
  SCRUB_FAILED: [422, 'required'],
  NOT_FOUND: [404, 'not-found'],
  DUPLICATE_REMITTANCE: [409, 'duplicate'],
  POSTING_MISMATCH: [409, 'conflict'],
  ALREADY_BILLED: [409, 'duplicate'],
  CONTROL_NUMBERS_EXHAUSTED: [503, 'exception'],
};

/**
 * Maps a billing failure to an HTTP status and an `OperationOutcome`, or returns undefined
 * for errors that are not billing's (authorization, bugs) so they travel on to the gateway.
 *
 * @example
 * ```ts
 * const mapped = toBillingOutcome(error);
 * if (mapped === undefined) throw error;
 * return c.json(mapped.outcome, mapped.status);
 * ```
 */
export function toBillingOutcome(
  error: unknown,
): { status: number; outcome: BillingOutcome } | undefined {
  if (error instanceof BillingError) {
    const [status, code] = STATUS[error.code];
    const issues = error.issues.length > 0 ? error.issues : [error.message];

    return {
      status,
      outcome: {
        resourceType: 'OperationOutcome',
        issue: issues.map((diagnostics) => ({
          severity: 'error',
          code,
          diagnostics: `${error.code}: ${diagnostics}`,
        })),
      },
    };
  }
  if (error instanceof X12Error) {
    const { segmentId, element } = error.position;
    const where =
      element === undefined ? segmentId : `${segmentId}${String(element).padStart(2, '0')}`;

    return {
      status: 400,
      outcome: {
        resourceType: 'OperationOutcome',
        issue: [
          { severity: 'error', code: 'structure', diagnostics: error.message, expression: [where] },
        ],
      },
    };
  }

  return undefined;
}
