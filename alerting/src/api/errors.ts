import { AlertError } from '../alerts/errors.js';
import { RuleError } from '../rules/overrides.js';

/**
 * The HTTP status for an error the alerting routes throw, or `undefined` for an error that
 * is not theirs (the gateway's own mapping then applies). `AlertError` and `RuleError`
 * carry a fixed `code` the gateway puts in its `OperationOutcome`.
 *
 * @example
 * ```ts
 * app.onError((err, c) => c.json({ code: (err as { code?: string }).code }, httpStatusOf(err) ?? 500));
 * ```
 */
export function httpStatusOf(error: unknown): 400 | 403 | 404 | 409 | 503 | undefined {
  if (error instanceof AlertError) {
    switch (error.code) {
      case 'NOT_FOUND':
        return 404;
      case 'INVALID_TRANSITION':
        return 409;
      case 'INVALID_SILENCE':
        return 400;
      case 'FORBIDDEN':
        return 403;
      case 'CLOSED':
        return 503;
    }
  }
  if (error instanceof RuleError) {
    return error.code === 'UNKNOWN_RULE' ? 404 : 400;
  }
  if (error instanceof TypeError) {
    return 400;
  }

  return undefined;
}
