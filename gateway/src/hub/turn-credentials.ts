import { createHmac } from 'node:crypto';

/** TURN relays visits may use, behind coturn's REST-API shared secret (`use-auth-secret`). */
export interface TurnOptions {
  /** `turn:` or `turns:` URLs, e.g. `turns:turn.example.org:5349?transport=tcp`. */
  urls: string[];
  /** The secret coturn was started with (`--static-auth-secret`). */
  secret: string;
  /** How long minted credentials stay valid, in seconds (default 3600, at most 86 400). */
  ttlSeconds?: number;
}

/** One entry of `RTCConfiguration.iceServers`. */
export interface TurnIceServer {
  urls: string[];
  username: string;
  credential: string;
}

const DEFAULT_TTL_SECONDS = 3600;

/**
 * Checks TURN options once, at start, so a wrong URL or an empty secret stops the hub with a
 * message naming the option rather than failing every visit later.
 *
 * @throws {TypeError} naming the bad option.
 */
export function checkTurnOptions(options: TurnOptions): TurnOptions {
  if (options.urls.length === 0) {
    throw new TypeError('"urls" must name at least one turn: or turns: URL');
  }
  const bad = options.urls.find((u) => !/^turns?:[^\s?]+(\?transport=(udp|tcp))?$/.test(u));
  if (bad !== undefined) {
    throw new TypeError(`"urls" must be turn: or turns: URLs, got one that is not`);
  }
  if (options.secret.length < 16) {
    throw new TypeError('"secret" must be at least 16 characters');
  }
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400) {
    throw new TypeError('"ttlSeconds" must be an integer from 60 to 86400');
  }

  return options;
}

/**
 * Mints time-limited TURN credentials for one visit participant, as coturn checks them under
 * `use-auth-secret`: the username is `<expiry>:<id>` and the password is
 * base64(HMAC-SHA1(secret, username)) [draft-uberti-behave-turn-rest-00 §2.2]. The id is a
 * keyed hash of the user's subject, never the subject itself: a TURN server logs usernames.
 *
 * @param subject the signed-in user's subject (token `sub`).
 * @param now the current time in milliseconds (for tests).
 * @example
 * ```ts
 * const ice = mintTurnCredentials({ urls: ['turn:turn.example.org:3478'], secret }, caller.sub);
 * new RTCPeerConnection({ iceServers: [ice] });
 * ```
 */
export function mintTurnCredentials(
  options: TurnOptions,
  subject: string,
  now = Date.now(),
): TurnIceServer {
  if (subject.length === 0) {
    throw new TypeError('"subject" must not be empty');
  }

  const expiry = Math.floor(now / 1000) + (options.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  const id = createHmac('sha256', options.secret).update(subject).digest('hex').slice(0, 16);
  const username = `${expiry}:${id}`;
  const credential = createHmac('sha1', options.secret).update(username).digest('base64');

  return { urls: [...options.urls], username, credential };
}
