import { useEffect, useRef, useState } from 'preact/hooks';

import { logOut } from '../api/auth.js';
import { session } from '../api/session.js';
import { formatDuration } from '../model/format.js';

/** How long before an idle sign-out the warning shows. */
export const WARN_BEFORE_MS = 2 * 60_000;
/** How long before the access token expires an active session refreshes it. */
const REFRESH_BEFORE_MS = 60_000;

/**
 * Watches the session clock. It refreshes the access token while the user is active, warns
 * two minutes before an idle or absolute timeout, and signs out when one is reached.
 */
export function SessionWarning() {
  const [remaining, setRemaining] = useState<{ ms: number; kind: 'idle' | 'absolute' }>();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const stayRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const tick = () => {
      const data = session.current();
      if (!data) {
        return;
      }
      const now = Date.now();
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
        setRemaining({ ms: absoluteLeft, kind: 'absolute' });
      } else if (idleLeft < WARN_BEFORE_MS) {
        setRemaining({ ms: idleLeft, kind: 'idle' });
      } else {
        setRemaining(undefined);
      }
    };
    const timer = setInterval(tick, 1000);

    return () => clearInterval(timer);
  }, []);

  const open = remaining !== undefined;
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) {
      return;
    }
    if (open && !dialog.open) {
      dialog.showModal();
      stayRef.current?.focus();
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
      aria-labelledby="session-warning-title"
      aria-describedby="session-warning-text"
      onCancel={(e) => {
        e.preventDefault();
        stay();
      }}
    >
      <h2 id="session-warning-title">
        {remaining?.kind === 'absolute' ? 'Your session is ending' : 'Are you still there?'}
      </h2>
      <p id="session-warning-text">
        {remaining?.kind === 'absolute'
          ? 'For security, sessions have a time limit. You will need to sign in again in '
          : 'For patient privacy you will be signed out after inactivity, in '}
        <strong>{formatDuration(remaining?.ms ?? 0)}</strong>.
      </p>
      <div class="dialog-actions">
        <button type="button" onClick={() => void logOut()}>
          Sign out now
        </button>
        {remaining?.kind === 'absolute' ? null : (
          <button ref={stayRef} class="primary" type="button" onClick={stay}>
            Stay signed in
          </button>
        )}
      </div>
    </dialog>
  );
}
