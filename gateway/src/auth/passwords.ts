import { hash, verify, type Algorithm } from '@node-rs/argon2';

import { GatewayError } from '../errors.js';

// [OWASP Password Storage: argon2id, m=19 MiB, t=2, p=1]
// Algorithm is an ambient const enum; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const COMMON = new Set([
  'password1234',
  'passwordpassword',
  '123456789012',
  'qwertyuiopas',
  'letmeinletmein',
  'sparkdensparkden',
]);

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
          : COMMON.has(lower)
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
