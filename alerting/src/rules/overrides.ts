import { SEVERITIES, type Rule, type RuleOverride } from './types.js';

/** Codes a {@link RuleError} carries. */
export type RuleErrorCode = 'INVALID_RULE' | 'INVALID_OVERRIDE' | 'UNKNOWN_RULE';

/** A rule or override that cannot be accepted; callers branch on `code`. */
export class RuleError extends Error {
  readonly code: RuleErrorCode;

  constructor(code: RuleErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'RuleError';
    this.code = code;
  }
}

const FIXED_KEYS = ['id', 'kind'];

function checkValue(key: string, value: unknown, current: unknown): void {
  if (key === 'severity') {
    if (!(SEVERITIES as readonly unknown[]).includes(value)) {
      throw new RuleError('INVALID_OVERRIDE', `"severity" must be one of ${SEVERITIES.join(', ')}`);
    }

    return;
  }
  if (typeof current === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new RuleError('INVALID_OVERRIDE', `"${key}" must be a finite number`);
  }
  if (typeof current === 'boolean' && typeof value !== 'boolean') {
    throw new RuleError('INVALID_OVERRIDE', `"${key}" must be a boolean`);
  }
  if (typeof current === 'string' && typeof value !== 'string') {
    throw new RuleError('INVALID_OVERRIDE', `"${key}" must be a string`);
  }
}

/**
 * Checks that override `params` only change fields the rule has, with values of the same
 * type, and that a threshold keeps its hysteresis on the right side.
 *
 * @throws {RuleError} `INVALID_OVERRIDE`, naming the field.
 */
export function checkOverride(rule: Rule, params: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(params)) {
    if (FIXED_KEYS.includes(key) || !(key in rule)) {
      throw new RuleError('INVALID_OVERRIDE', `"${key}" cannot be overridden on ${rule.kind}`);
    }
    checkValue(key, value, (rule as unknown as Record<string, unknown>)[key]);
  }
  const merged = { ...rule, ...params };
  if (merged.kind === 'threshold') {
    const ok =
      merged.direction === 'below'
        ? merged.clearAt >= merged.threshold
        : merged.clearAt <= merged.threshold;
    if (!ok) {
      throw new RuleError('INVALID_OVERRIDE', '"clearAt" must lie on the safe side of "threshold"');
    }
  }
  if (merged.kind === 'news2' && merged.clearAfter !== undefined) {
    if (!(Number.isInteger(merged.clearAfter) && merged.clearAfter >= 1)) {
      throw new RuleError('INVALID_OVERRIDE', '"clearAfter" must be a whole number ≥ 1');
    }
  }
}

/**
 * The rule as it applies to one patient: the rule with the override's params laid over it.
 *
 * @example
 * ```ts
 * applyOverride(spo2Low, { params: { threshold: 85, clearAt: 88 }, … }).threshold; // 85
 * ```
 */
export function applyOverride(rule: Rule, override: RuleOverride | undefined): Rule {
  if (override === undefined) {
    return rule;
  }

  return { ...rule, ...override.params, id: rule.id, kind: rule.kind } as Rule;
}
