import { useEffect, useRef, useState } from 'preact/hooks';

import { logOut } from '../api/auth.js';
import { session } from '../api/session.js';
import { formatDuration } from '../model/format.js';
import { isWatchingAlerts } from './alert-watch.js';

/** How long before an idle sign-out the warning shows. */
export const WARN_BEFORE_MS = 2 * 60_000;
/** How long before the access token expires an active session refreshes it. */
const REFRESH_BEFORE_MS = 60_000;

/**
 * Watches the session clock. It refreshes the access token while the user is active (or a
 * live alert console holds the idle clock), warns two minutes before an idle or absolute
 * timeout, and signs out when one is reached. On a screen that watches alerts the warning
 * says, loudly, that alerts stop being watched here once the session ends.
 */
export function SessionWarning() {
  const [remaining, setRemaining] = useState<{
    ms: number;
    kind: 'idle' | 'absolute';
    watching: boolean;
  }>();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const stayRef = useRef<HTMLButtonElement>(null);
  const signOutRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const tick = () => {
      const data = session.current();
      if (!data) {
        return;
      }
      const now = Date.now();
      if (session.isIdleHeld()) {
        session.touch();
      }
      const watching = isWatchingAlerts();
      const idleLeft = session.lastActivity() + data.idleTimeoutMs - now;
      const absoluteLeft = data.absoluteExpiresAt ? data.absoluteExpiresAt - now : Infinity;
      if (absoluteLeft <= 0) {
        session.expire('absolute');
        return;
      }
      if (idleLeft <= 0) {
        void logOut('idle');
        return;
      }
      if (idleLeft > WARN_BEFORE_MS && data.accessExpiresAt - now < REFRESH_BEFORE_MS) {
        void session.refresh();
      }
      if (absoluteLeft < WARN_BEFORE_MS) {
        setRemaining({ ms: absoluteLeft, kind: 'absolute', watching });
      } else if (idleLeft < WARN_BEFORE_MS) {
        setRemaining({ ms: idleLeft, kind: 'idle', watching });
      } else {
        setRemaining(undefined);
      }
    };
    const timer = setInterval(tick, 1000);

    return () => clearInterval(timer);
  }, []);

  const open = remaining !== undefined;
  const absolute = remaining?.kind === 'absolute';
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) {
      return;
    }
    if (open && !dialog.open) {
      dialog.showModal();
      (stayRef.current ?? signOutRef.current)?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  const stay = () => {
    session.touch();
    void session.refresh();
    setRemaining(undefined);
  };

  return (
    <dialog
      ref={dialogRef}
      class={remaining?.watching ? 'dialog-alarm' : undefined}
      aria-labelledby="session-warning-title"
      aria-describedby="session-warning-text"
      onCancel={(e) => {
        e.preventDefault();
        if (!absolute) {
          stay();
        }
      }}
    >
      <h2 id="session-warning-title">
        {absolute ? 'Your session is ending' : 'Are you still there?'}
      </h2>
      {remaining?.watching ? (
        <p class="banner-urgent" data-testid="watch-ending">
          Alerts will no longer be watched on this screen once you are signed out: no banner, no
          sound. Hand over to another console.
        </p>
      ) : null}
      <p id="session-warning-text">
        {absolute
          ? 'For security, sessions have a time limit. You will need to sign in again in '
          : 'For patient privacy you will be signed out after inactivity, in '}
        <strong>{formatDuration(remaining?.ms ?? 0)}</strong>.
      </p>
      <div class="dialog-actions">
        <button ref={signOutRef} type="button" onClick={() => void logOut()}>
          Sign out now
        </button>
        {absolute ? null : (
          <button ref={stayRef} class="primary" type="button" onClick={stay}>
            Stay signed in
          </button>
        )}
      </div>
    </dialog>
  );
}
