import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

import { GatewayError } from '../errors.js';

// [OWASP Password Storage: argon2id, m=19 MiB, t=2, p=1]
// Algorithm is an ambient const enum; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// [NIST SP 800-63B 5.1.1.2: a blocklist of commonly used and compromised values] The
// zxcvbn-ts common list (about 49 000 passwords from public breach corpora), plus a few of
// our own.
const COMMON = new Set([
  ...dictionary['passwords-common'].map((p) => p.toLowerCase()),
  'sparkdensparkden',
  'spark-den-password',
]);

/**
 * Whether a (lower-cased) password is a common one, a common one with only digits or
 * symbols appended (`password1234`, `letmein2024!`), or a common one repeated
 * (`dragondragon`).
 */
export function isCommonPassword(lower: string): boolean {
  const base = lower.replace(/[\d\W_]+$/u, '');
  const repeated = /^(.{3,}?)\1+$/u.exec(lower)?.[1];

  return (
    COMMON.has(lower) ||
    (base.length >= 4 && COMMON.has(base)) ||
    (repeated !== undefined && COMMON.has(repeated))
  );
}

/**
 * Checks a new password against the policy: 12 to 128 characters, at least 6 distinct
 * characters, not a common password, and not containing the username
 * ([NIST SP 800-63B 5.1.1.2]: length and blocklists, no composition rules).
 *
 * @throws {GatewayError} `INVALID` naming the rule broken.
 */
export function checkPasswordPolicy(password: string, username: string): void {
  const lower = password.toLowerCase();
  const broken =
    password.length < 12
      ? 'at least 12 characters'
      : password.length > 128
        ? 'at most 128 characters'
        : new Set(password).size < 6
          ? 'at least 6 distinct characters'
          : isCommonPassword(lower)
            ? 'not a common password'
            : username.length >= 3 && lower.includes(username.toLowerCase())
              ? 'must not contain the username'
              : undefined;

  if (broken !== undefined) {
    throw new GatewayError('INVALID', `password policy: ${broken}`);
  }
}

/** Hashes a password with argon2id (PHC string). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** Verifies a password against its PHC hash; false for any mismatch or malformed hash. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so timing does not reveal it. */
export const DUMMY_HASH = await hashPassword('not-a-real-password-at-all');
