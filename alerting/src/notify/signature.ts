import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-sparkden-signature';

/**
 * Signs a webhook body: HMAC-SHA256 with `secret` over `"<t>.<body>"`, where `t` is the
 * send time in Unix seconds, so a receiver can refuse replays of old deliveries.
 *
 * @example
 * ```ts
 * signWebhook('s3cret', body, 1767600000); // 't=1767600000,v1=5f1c…'
 * ```
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');

  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Checks a signature header against the body, allowing `toleranceS` of clock difference.
 * Returns `false` for anything malformed; compares in constant time.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceS = 300,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (m === null) {
    return false;
  }

  const t = Number(m[1]);
  const expected = Buffer.from(signWebhook(secret, body, t).slice(-64), 'hex');
  const given = Buffer.from(m[2], 'hex');

  return Math.abs(nowSeconds - t) <= toleranceS && timingSafeEqual(expected, given);
}
