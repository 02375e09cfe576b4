import { useEffect, useRef, useState } from 'preact/hooks';

import { logIn } from '../api/auth.js';
import { ApiError } from '../api/http.js';
import { session, type EndReason } from '../api/session.js';
import { isWatchingAlerts } from './alert-watch.js';

const END_MESSAGES: Record<EndReason, string> = {
  'signed-out': 'You signed out.',
  idle: 'You were signed out after a period of inactivity.',
  absolute: 'Your session reached its time limit. Please sign in again.',
  unauthorized: 'Your session ended. Please sign in again.',
};

let lastEndReason: EndReason | undefined;
/** Whether the session that ended had an alert console open. */
let endedWatching = false;
session.subscribe((data, reason) => {
  if (!data && reason) {
    lastEndReason = reason;
    endedWatching = isWatchingAlerts();
  }
});

/** Sign-in: user name and password, then the six-digit code from the authenticator app. */
export function LoginView() {
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [mfaToken, setMfaToken] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Spark Den';
  }, []);
  useEffect(() => {
    if (step === 'code') {
      codeRef.current?.focus();
    }
  }, [step]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const totp = step === 'code' ? code.replace(/\s/g, '') : undefined;
      const result = await logIn({ username, password, totp, mfaToken });
      if (result.status === 'mfa-required') {
        setMfaToken(result.mfaToken);
        setStep('code');
      }
    } catch (e) {
      setError(messageFor(e, step));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <div class="card">
        <h1 ref={headingRef}>Sign in to Spark Den</h1>
        {endedWatching && lastEndReason !== 'signed-out' ? (
          <p class="banner-urgent" role="alert" data-testid="watch-ended">
            Alerts are no longer being watched on this screen. Sign in again, or make sure another
            console is watching.
          </p>
        ) : null}
        {lastEndReason && !error && step === 'password' ? (
          <p class="notice" role="status">
            {END_MESSAGES[lastEndReason]}
          </p>
        ) : null}
        <form onSubmit={(e) => void submit(e)} noValidate>
          {step === 'password' ? (
            <>
              <div class="field">
                <label for="username">User name</label>
                <input
                  id="username"
                  name="username"
                  autocomplete="username"
                  required
                  value={username}
                  onInput={(e) => setUsername(e.currentTarget.value)}
                />
              </div>
              <div class="field">
                <label for="password">Password</label>
                <input
                  id="password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              </div>
            </>
          ) : (
            <div class="field">
              <label for="totp">Six-digit code</label>
              <input
                id="totp"
                name="totp"
                ref={codeRef}
                inputMode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9 ]*"
                maxLength={7}
                required
                aria-describedby="totp-hint"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
              <p id="totp-hint" class="hint">
                Open your authenticator app and enter the code shown for Spark Den.
              </p>
            </div>
          )}
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <div class="toolbar">
            <button class="primary" type="submit" disabled={busy}>
              {step === 'password' ? 'Continue' : 'Verify and sign in'}
            </button>
            {step === 'code' ? (
              <button
                type="button"
                onClick={() => {
                  setStep('password');
                  setCode('');
                  setError(undefined);
                }}
              >
                Back
              </button>
            ) : null}
          </div>
        </form>
      </div>
    </main>
  );
}

function messageFor(error: unknown, step: 'password' | 'code'): string {
  if (!(error instanceof ApiError)) {
    return 'Sign-in failed. Please try again.';
  }

  switch (error.code) {
    case 'NETWORK':
      return 'The hub could not be reached. Check the connection and try again.';
    case 'UNAUTHORIZED':
      if (/locked/i.test(error.message)) {
        return 'This account is locked after too many attempts. Ask your administrator.';
      }

      return step === 'code'
        ? 'That code did not work. Wait for the next code and try again.'
        : 'The user name or password is not right.';
    case 'FORBIDDEN':
      return 'This account is locked. Ask your administrator to unlock it.';
    case 'NOT_FOUND':
    case 'CONFLICT':
    case 'INVALID':
    case 'SERVER':
      return error.message || 'Sign-in failed. Please try again.';
  }
}
