import { Secret, TOTP } from 'otpauth';

// [RFC 6238 4: T0 = 0, X = 30 s; RFC 4226 5.3: 6 digits, HMAC-SHA-1]
const PERIOD = 30;

/** A new base32 TOTP secret (160 bits, the RFC 4226 recommended length). */
export function createTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans. */
export function totpUri(secret: string, label: string): string {
  return totpFor(secret, label).toString();
}

/** The current code for `secret` (used by the demo seed and tests). */
export function currentTotp(secret: string, at = Date.now()): string {
  return totpFor(secret).generate({ timestamp: at });
}

/**
 * Checks `code` against `secret`, allowing one step of clock drift either way, and returns
 * the matched time step, or `undefined` when it does not match. Callers reject a step at
 * or before the last one used, so a code cannot be replayed [RFC 6238 5.2].
 */
export function matchTotp(secret: string, code: string, at = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) {
    return undefined;
  }

  const delta = totpFor(secret).validate({ token: code, timestamp: at, window: 1 });

  return delta === null ? undefined : Math.floor(at / 1000 / PERIOD) + delta;
}

function totpFor(secret: string, label = 'user'): TOTP {
  return new TOTP({
    issuer: 'Spark Den',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}
