/**
 * The signed-in user's session: tokens, who they are, and the idle clock. It lives in
 * `sessionStorage` under {@link SESSION_STORAGE_KEY} so the video visit page (same origin,
 * same tab) can read the access token without a second login; it never touches
 * `localStorage`, so closing the tab ends the session.
 */

/** The roles of Spark Den's security baseline. */
export type Role = 'patient' | 'clinician' | 'nurse' | 'billing' | 'it-admin' | 'system';

/** What the app knows about a signed-in user. */
export interface SessionData {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms at which the access token expires. */
  accessExpiresAt: number;
  /** Epoch ms after which the hub refuses to refresh (absolute session timeout). */
  absoluteExpiresAt?: number;
  /** Idle timeout in ms: no user activity this long ends the session. */
  idleTimeoutMs: number;
  sub: string;
  role: Role;
  /** Care units a nurse or clinician covers. */
  units: string[];
  /** Set for the patient role: their own Patient id. */
  patientId?: string;
  /** A display name for the header, when the hub gives one. */
  displayName?: string;
  /** Set for staff: their Practitioner id, the sender of the messages they write. */
  practitionerId?: string;
}

/** Why a session ended. */
export type EndReason = 'signed-out' | 'idle' | 'absolute' | 'unauthorized';

type Listener = (data: SessionData | undefined, reason?: EndReason) => void;
type Refresher = (data: SessionData) => Promise<SessionData | undefined>;

/** Where the session is kept in `sessionStorage`. */
export const SESSION_STORAGE_KEY = 'sparkden.session';

/** The default idle timeout when the hub does not say: 15 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;

/**
 * The absolute session limit when the hub does not say: 12 hours from sign-in, the hub's own
 * default. A screen that holds the idle clock (a live alert console) still ends here.
 */
export const DEFAULT_ABSOLUTE_TIMEOUT_MS = 12 * 3_600_000;

function load(): SessionData | undefined {
  try {
    const raw = globalThis.sessionStorage?.getItem(SESSION_STORAGE_KEY);

    return raw ? (JSON.parse(raw) as SessionData) : undefined;
  } catch {
    return undefined;
  }
}

function save(data: SessionData | undefined): void {
  const storage = globalThis.sessionStorage;
  if (!storage) {
    return;
  }
  if (data) {
    storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(data));
  } else {
    storage.removeItem(SESSION_STORAGE_KEY);
  }
}

/** Holds the session and tells listeners when it starts, changes or ends. */
export class SessionStore {
  #data: SessionData | undefined = load();
  #lastActivity = Date.now();
  #listeners = new Set<Listener>();
  #refresher: Refresher | undefined;
  #refreshing: Promise<boolean> | undefined;
  #holds = new Set<symbol>();

  /** The current session, if any. */
  current(): SessionData | undefined {
    return this.#data;
  }

  /** The bearer token for API and socket calls. */
  accessToken(): string | undefined {
    return this.#data?.accessToken;
  }

  /** Epoch ms of the user's last activity. */
  lastActivity(): number {
    return this.#lastActivity;
  }

  /** Starts or replaces the session. */
  start(data: SessionData): void {
    this.#data = data;
    this.#lastActivity = Date.now();
    save(data);
    this.#emit();
  }

  /** Records user activity (a key press, a click): it keeps the session from idling out. */
  touch(): void {
    this.#lastActivity = Date.now();
  }

  /**
   * Stops the idle clock until the returned function is called: a live alert console is
   * being watched even when nobody touches it. The absolute limit still applies, and the
   * idle clock starts afresh when the last hold is released.
   */
  holdIdle(): () => void {
    const hold = Symbol('idle-hold');
    this.#holds.add(hold);

    return () => {
      if (this.#holds.delete(hold)) {
        this.touch();
      }
    };
  }

  /** Whether something holds the idle clock. */
  isIdleHeld(): boolean {
    return this.#holds.size > 0;
  }

  /** Ends the session and tells listeners why. */
  expire(reason: EndReason): void {
    if (!this.#data) {
      return;
    }
    this.#data = undefined;
    save(undefined);
    this.#emit(reason);
  }

  /** Sets how a refresh is done (the auth module does this; it keeps the store free of fetch). */
  setRefresher(refresher: Refresher): void {
    this.#refresher = refresher;
  }

  /** Gets a new access token with the refresh token; concurrent callers share one attempt. */
  refresh(): Promise<boolean> {
    const data = this.#data;
    if (!data || !this.#refresher) {
      return Promise.resolve(false);
    }

    this.#refreshing ??= this.#refresher(data)
      .then((next) => {
        // A session that ended (idle, signed out) while the refresh was in flight stays
        // ended: a late answer must not sign the user back in.
        if (next && this.#data === data) {
          this.#data = next;
          save(next);
          this.#emit();
        }

        return next !== undefined && this.#data === next;
      })
      .catch(() => false)
      .finally(() => {
        this.#refreshing = undefined;
      });

    return this.#refreshing;
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);

    return () => this.#listeners.delete(listener);
  }

  #emit(reason?: EndReason): void {
    for (const listener of this.#listeners) {
      listener(this.#data, reason);
    }
  }
}

/** The one session of this tab. */
export const session = new SessionStore();
