import http from 'k6/http';
import { check, fail } from 'k6';

/** The hub under test: `k6 run -e HUB=https://hub.example.org …`. */
export const HUB = __ENV.HUB ?? 'http://127.0.0.1:8080';

/**
 * A bearer token for the scenario: a system client's client-credentials grant
 * (`-e CLIENT_ID=… -e CLIENT_SECRET=…`), or a token given directly (`-e TOKEN=…`).
 */
export function accessToken(): string {
  if (__ENV.TOKEN) {
    return __ENV.TOKEN;
  }
  const res = http.post(`${HUB}/oauth2/token`, {
    grant_type: 'client_credentials',
    client_id: __ENV.CLIENT_ID ?? 'sparkden-loadtest',
    client_secret: __ENV.CLIENT_SECRET ?? '',
    scope: 'system/*.read',
  });
  if (!check(res, { 'token issued': (r) => r.status === 200 })) {
    fail(`client credentials refused: ${res.status}`);
  }

  return (res.json('access_token') as string) ?? '';
}
