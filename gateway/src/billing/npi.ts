/**
 * Whether `npi` is a valid National Provider Identifier: ten digits whose last is the Luhn
 * check digit computed over the prefix 80840 and the first nine [CMS NPI check digit].
 *
 * @example
 * ```ts
 * isValidNpi('1234567893'); // true
 * ```
 */
export function isValidNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) {
    return false;
  }

  const digits = `80840${npi}`;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }

  return sum % 10 === 0;
}
