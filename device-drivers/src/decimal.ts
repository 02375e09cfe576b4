/**
 * [HL7 v2 data type NM] An optional leading sign (`+` or `-`), digits, and an optional
 * decimal point: `01.20`, `+1.2`, `-1`, `.5`, `7.`. No exponent, no hex, no spaces, no
 * `Infinity`: what JavaScript's `Number()` would also take is refused here.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a decimal number written as HL7 v2 NM writes it, strictly. Device text that is not
 * such a number is no value: the caller refuses it rather than guess.
 *
 * @returns The number, or `undefined` for anything else (and for digits beyond a double).
 * @example
 * ```ts
 * parseDecimal('-1.50'); // -1.5
 * parseDecimal('0x61'); // undefined
 * parseDecimal('1e2'); // undefined
 * ```
 */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) {
    return undefined;
  }

  const value = Number(text);

  return Number.isFinite(value) ? value : undefined;
}
