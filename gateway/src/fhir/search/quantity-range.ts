const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The range a number given in a search implies by its precision [FHIR R4 search 3.1.1.4.2:
 * `5.4` means [5.35, 5.45), `5.40` means [5.395, 5.405), `5e2` means [450, 550)], as exact
 * decimal strings (no binary rounding); `undefined` when `text` is not a number.
 *
 * @example
 * ```ts
 * quantityRange('5.4'); // ['5.35', '5.45']
 * ```
 */
export function quantityRange(text: string): [string, string] | undefined {
  const match = NUMBER.exec(text);
  if (match === null) {
    return undefined;
  }

  const [, sign, whole, fraction = '', exponent = '0'] = match;
  // One digit more than given, so half a unit of the last digit is a whole 5.
  const scaled = BigInt(`${whole}${fraction}0`) * (sign === '-' ? -1n : 1n);
  const scale = fraction.length + 1 - Number(exponent);

  return [decimal(scaled - 5n, scale), decimal(scaled + 5n, scale)];
}

// `digits` × 10^-scale as a plain decimal string.
function decimal(digits: bigint, scale: number): string {
  if (scale <= 0) {
    return (digits * 10n ** BigInt(-scale)).toString();
  }
  const negative = digits < 0n;
  const text = (negative ? -digits : digits).toString().padStart(scale + 1, '0');
  const point = text.length - scale;

  return `${negative ? '-' : ''}${text.slice(0, point)}.${text.slice(point)}`;
}
