// The session's refresher lives in the auth module: importing it lets an expired access token
// be refreshed once before the token request gives up.
import '../app/api/auth.js';
import { requestJson } from '../app/api/http.js';

/** The hub's answer to `POST /api/visits/:appointmentId/token` (gateway visit-routes.ts). */
export interface VisitTokenAnswer {
  token: string;
  /** Seconds the join token lives. */
  expiresIn: number;
  appointmentId: string;
  role: 'host' | 'patient' | 'guest';
  nodeId: string;
  /** Base URL of the SFU node the visit is placed on (its `/visit` namespace). */
  signalingUrl: string;
  /** Base URL of the live-vitals feed (`/visit-vitals`): the hub. */
  vitalsUrl: string;
  /** TURN relays with credentials minted for this participant (empty when none). */
  iceServers?: RTCIceServer[];
}

/** What the visit page was opened with. */
export type VisitLink =
  /** From the app: `visit.html?appointment=ID`; the page asks the hub for a token. */
  | { kind: 'appointment'; appointmentId: string }
  /** A link that carries its token in the fragment (never sent to a server). */
  | { kind: 'token'; token: string; signalUrl?: string; vitalsUrl?: string }
  | { kind: 'none' };

/**
 * Reads the page's link: `?appointment=ID` (the app's visit links, see `visitUrl`), or
 * `#token=…[&signal=…][&vitals=…]`. A token in the fragment wins.
 *
 * @example
 * readVisitLink('?appointment=apt-1', ''); // { kind: 'appointment', appointmentId: 'apt-1' }
 */
export function readVisitLink(search: string, hash: string): VisitLink {
  const fragment = new URLSearchParams(hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (token) {
    const signalUrl = fragment.get('signal') ?? undefined;
    const vitalsUrl = fragment.get('vitals') ?? undefined;

    return { kind: 'token', token, signalUrl, vitalsUrl };
  }
  const appointmentId = new URLSearchParams(search).get('appointment');

  return appointmentId ? { kind: 'appointment', appointmentId } : { kind: 'none' };
}

/** An absolute base URL for socket.io: `url` resolved against the page, the page's origin when empty. */
export function resolveBaseUrl(url: string | undefined, origin: string): string {
  if (!url) {
    return origin;
  }

  return new URL(url, origin).href.replace(/\/$/, '');
}

/** Asks the hub for a join token with the signed-in user's session. @throws {ApiError} */
export function requestJoinToken(appointmentId: string): Promise<VisitTokenAnswer> {
  return requestJson<VisitTokenAnswer>(`/api/visits/${encodeURIComponent(appointmentId)}/token`, {
    method: 'POST',
  });
}

/** Options of {@link JoinTokens}. */
export interface JoinTokensOptions {
  request?: (appointmentId: string) => Promise<VisitTokenAnswer>;
  now?: () => number;
  /** A token this close to expiry is replaced before use. Default 60 s. */
  marginMs?: number;
}

/**
 * The join token of one Appointment, fetched from the hub when first needed and again when
 * the one held is about to expire (a patient may spend minutes on the device check, and a
 * reconnect after the seat's grace period needs a valid token).
 *
 * @example
 * const tokens = new JoinTokens('apt-1');
 * const { token, signalingUrl } = await tokens.current();
 */
export class JoinTokens {
  readonly appointmentId: string;
  readonly #request: (appointmentId: string) => Promise<VisitTokenAnswer>;
  readonly #now: () => number;
  readonly #marginMs: number;
  #held?: { answer: VisitTokenAnswer; expiresAt: number };
  #pending?: Promise<VisitTokenAnswer>;

  constructor(appointmentId: string, options: JoinTokensOptions = {}) {
    if (!appointmentId) {
      throw new TypeError('"appointmentId" is required');
    }

    this.appointmentId = appointmentId;
    this.#request = options.request ?? requestJoinToken;
    this.#now = options.now ?? Date.now;
    this.#marginMs = options.marginMs ?? 60_000;
  }

  /** A token valid for at least the margin; concurrent callers share one request. */
  current(): Promise<VisitTokenAnswer> {
    const held = this.#held;
    if (held && held.expiresAt - this.#marginMs > this.#now()) {
      return Promise.resolve(held.answer);
    }

    const asked = this.#now();
    this.#pending ??= this.#request(this.appointmentId)
      .then((answer) => {
        this.#held = { answer, expiresAt: asked + answer.expiresIn * 1000 };

        return answer;
      })
      .finally(() => {
        this.#pending = undefined;
      });

    return this.#pending;
  }
}
