import { DriverError } from '@sparkden/device-drivers';

/**
 * Parses captured bytes written as hex, the way device logs and sniffers print them: pairs of
 * digits, optionally separated by spaces, `:` or `,`, each group optionally `0x`-prefixed
 * (`86 40 05`, `86:40:05`, `0x86 0x40`, `864005`). Strict: a digit that is not hex, or a group
 * that ends with half a byte, is an error naming the byte it would have been, so a typo never
 * becomes a different value.
 *
 * @throws {DriverError} `MALFORMED` with the byte offset of the first bad byte.
 * @example
 * ```ts
 * parseHex('00 48'); // Uint8Array [0x00, 0x48]
 * parseHex('00 48 zz'); // throws MALFORMED at byte 2
 * ```
 */
export function parseHex(text: string): Uint8Array {
  const groups = text.split(/[\s:,]+/).filter((g) => g !== '');
  if (groups.length === 0) {
    throw new DriverError('TRUNCATED', 'no bytes given', { offset: 0 });
  }

  const bytes: number[] = [];
  for (const group of groups) {
    const digits = group.replace(/^0x/i, '');
    const bad = digits === '' ? 0 : digits.search(/[^0-9a-fA-F]/);
    if (bad >= 0) {
      const shown = JSON.stringify(digits.slice(bad - (bad % 2), bad - (bad % 2) + 2) || group);
      throw new DriverError('MALFORMED', `${shown} is not a hex byte`, {
        offset: bytes.length + Math.floor(bad / 2),
      });
    }
    if (digits.length % 2 !== 0) {
      throw new DriverError('MALFORMED', `"${group}" ends with half a byte (odd hex digits)`, {
        offset: bytes.length + Math.floor(digits.length / 2),
      });
    }
    for (let i = 0; i < digits.length; i += 2) {
      bytes.push(Number.parseInt(digits.slice(i, i + 2), 16));
    }
  }

  return Uint8Array.from(bytes);
}
