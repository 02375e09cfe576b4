/** The fixed codes a {@link GatewayError} carries; callers branch on these, never on text. */
export type GatewayErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'GONE'
  | 'INVALID'
  | 'VALIDATION'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_SUPPORTED'
  | 'TOO_MANY';

/** One issue of a FHIR `OperationOutcome`. */
export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  details?: { text?: string };
  expression?: string[];
}

/** A FHIR R4 `OperationOutcome`. */
export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

/**
 * A failure the gateway answers with an HTTP status and an `OperationOutcome`.
 *
 * @example
 * ```ts
 * throw new GatewayError('NOT_FOUND', 'Patient/p1 not found');
 * ```
 */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly issues: OutcomeIssue[] | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { cause?: unknown; issues?: OutcomeIssue[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.issues = options.issues;
  }
}

// [FHIR R4 http: status codes] with the OperationOutcome issue-type that goes with each.
const STATUS: Record<GatewayErrorCode, [number, string]> = {
  UNAUTHENTICATED: [401, 'login'],
  FORBIDDEN: [403, 'forbidden'],
  NOT_FOUND: [404, 'not-found'],
  GONE: [410, 'deleted'],
  INVALID: [400, 'invalid'],
  VALIDATION: [422, 'structure'],
  CONFLICT: [409, 'conflict'],
  PRECONDITION_FAILED: [412, 'conflict'],
  METHOD_NOT_ALLOWED: [405, 'not-supported'],
  NOT_SUPPORTED: [501, 'not-supported'],
  TOO_MANY: [429, 'throttled'],
};

/**
 * The one place that turns any thrown value into an HTTP status and a FHIR
 * `OperationOutcome`. Unknown errors become a 500 whose text reveals nothing.
 *
 * @example
 * ```ts
 * const { status, outcome } = toOperationOutcome(error);
 * return c.json(outcome, status);
 * ```
 */
export function toOperationOutcome(error: unknown): { status: number; outcome: OperationOutcome } {
  if (!(error instanceof GatewayError)) {
    const outcome = outcomeOf('error', 'exception', 'Internal server error');

    return { status: 500, outcome };
  }

  const [status, code] = STATUS[error.code];
  const issues = error.issues ?? [{ severity: 'error', code, diagnostics: error.message }];

  return { status, outcome: { resourceType: 'OperationOutcome', issue: issues } };
}

/** Builds a one-issue `OperationOutcome`. */
export function outcomeOf(
  severity: OutcomeIssue['severity'],
  code: string,
  diagnostics: string,
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}
