import { html } from 'hono/html';

const CARRIED = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'aud',
] as const;

/**
 * The sign-in page of the authorization endpoint: the OAuth parameters ride along as
 * hidden fields; hono/html escapes every value.
 */
export function renderLoginForm(params: Record<string, string>, error?: string) {
  const hidden = CARRIED.filter((k) => params[k] !== undefined).map(
    (k) => html`<input type="hidden" name="${k}" value="${params[k]}" />`,
  );

  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Spark Den sign-in</title>
      </head>
      <body>
        <main>
          <h1>Sign in to Spark Den</h1>
          ${error === undefined ? '' : html`<p role="alert">${error}</p>`}
          <form method="post" action="/oauth2/authorize">
            ${hidden}
            <label>Username <input name="username" autocomplete="username" required /></label>
            <label
              >Password
              <input name="password" type="password" autocomplete="current-password" required
            /></label>
            <label
              >One-time code <input name="totp" inputmode="numeric" autocomplete="one-time-code"
            /></label>
            <button type="submit">Sign in</button>
          </form>
        </main>
      </body>
    </html>`;
}
