import { hostname } from 'node:os';

import { loadBillingConfig } from '../billing/index.js';
import { checkTurnOptions, type TurnOptions } from '../hub/turn-credentials.js';
import type { Env, HubConfig, PemPair, UpstreamConfig } from './hub-config.js';

// The hub's settings that live in files named by variables (`_CERT`, `_KEY`, `_FILE`):
// PEM pairs, the upstream broker's password, payer contracts, the TURN secret, the metrics
// token. Each is read once at start; a failure names the variable, never the content.

/** Reads a file named by a variable; the loader's tests pass their own. */
export type ReadConfigFile = (path: string) => string;

// Files named by variables, each read once; a failure names the variable, never the content.
export class FileReader {
  readonly issues: string[] = [];

  constructor(readonly read: ReadConfigFile) {}

  text(name: string, file: string | undefined): string | undefined {
    if (file === undefined) {
      return undefined;
    }
    try {
      return this.read(file);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      this.issues.push(`${name}: cannot read ${file} (${reason})`);

      return undefined;
    }
  }

  pem(name: string, file: string | undefined, kind: 'CERTIFICATE' | 'PRIVATE KEY') {
    const text = this.text(name, file);
    if (text === undefined) {
      return undefined;
    }
    // `PRIVATE KEY` also matches `EC PRIVATE KEY` and `RSA PRIVATE KEY`.
    if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
      this.issues.push(`${name}: ${file} holds no PEM ${kind.toLowerCase()}`);

      return undefined;
    }

    return text;
  }

  pair(certVar: keyof Env, keyVar: keyof Env, e: Env): PemPair | undefined {
    const certFile = e[certVar] as string | undefined;
    const keyFile = e[keyVar] as string | undefined;
    if ((certFile === undefined) !== (keyFile === undefined)) {
      this.issues.push(`${certVar}, ${keyVar}: set both or neither`);

      return undefined;
    }
    const certPem = this.pem(certVar, certFile, 'CERTIFICATE');
    const keyPem = this.pem(keyVar, keyFile, 'PRIVATE KEY');

    return certPem === undefined || keyPem === undefined ? undefined : { certPem, keyPem };
  }
}

export function readUpstream(e: Env, files: FileReader): UpstreamConfig | undefined {
  const url = e.SPARKDEN_MQTT_UPSTREAM_URL;
  if (url === undefined) {
    return undefined;
  }

  // One client id per hub process and host: two hubs sharing an id would keep taking the
  // broker session from each other.
  const clientId = e.SPARKDEN_MQTT_UPSTREAM_CLIENT_ID ?? `sparkden-hub-${hostname()}`;
  const client = files.pair('SPARKDEN_MQTT_UPSTREAM_CERT', 'SPARKDEN_MQTT_UPSTREAM_KEY', e);
  const secret = files.text(
    'SPARKDEN_MQTT_UPSTREAM_PASSWORD_FILE',
    e.SPARKDEN_MQTT_UPSTREAM_PASSWORD_FILE,
  );

  return {
    url,
    clientId: clientId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64),
    shareGroup: e.SPARKDEN_MQTT_UPSTREAM_SHARE_GROUP,
    certPem: client?.certPem,
    keyPem: client?.keyPem,
    username: e.SPARKDEN_MQTT_UPSTREAM_USERNAME,
    password: secret?.trim(),
  };
}

// The payer contracts are checked at start, so a wrong file names its variable and field.
export function readBilling(e: Env, files: FileReader): HubConfig['billing'] {
  const configFile = e.SPARKDEN_BILLING_CONFIG_FILE;
  const text = files.text('SPARKDEN_BILLING_CONFIG_FILE', configFile);
  if (text !== undefined) {
    try {
      loadBillingConfig(JSON.parse(text) as unknown);
    } catch (error) {
      const reason = error instanceof SyntaxError ? 'not JSON' : (error as Error).message;
      files.issues.push(`SPARKDEN_BILLING_CONFIG_FILE: ${configFile}: ${reason}`);
    }
  }

  return { configFile, timeZone: e.SPARKDEN_BILLING_TIME_ZONE };
}

// The TURN secret lives in a file (a mounted secret), like coturn's own copy of it.
export function readTurn(e: Env, files: FileReader): TurnOptions | undefined {
  const urls = e.SPARKDEN_TURN_URLS?.split(',').map((u) => u.trim());
  const secret = files.text('SPARKDEN_TURN_SECRET_FILE', e.SPARKDEN_TURN_SECRET_FILE)?.trim();
  if ((urls === undefined) !== (e.SPARKDEN_TURN_SECRET_FILE === undefined)) {
    files.issues.push('SPARKDEN_TURN_URLS, SPARKDEN_TURN_SECRET_FILE: set both or neither');

    return undefined;
  }
  if (urls === undefined || secret === undefined) {
    return undefined;
  }
  try {
    return checkTurnOptions({ urls, secret, ttlSeconds: e.SPARKDEN_TURN_TTL_SECONDS });
  } catch (error) {
    const name = /"secret"/.test((error as Error).message)
      ? 'SPARKDEN_TURN_SECRET_FILE'
      : 'SPARKDEN_TURN_URLS';
    files.issues.push(`${name}: ${(error as Error).message}`);

    return undefined;
  }
}

// The scrape token lives in a file (a mounted secret), never in the environment.
export function readMetricsToken(e: Env, files: FileReader): string | undefined {
  const token = files.text('SPARKDEN_METRICS_TOKEN_FILE', e.SPARKDEN_METRICS_TOKEN_FILE)?.trim();
  if (token !== undefined && !/^[\x21-\x7e]{16,}$/.test(token)) {
    files.issues.push(
      'SPARKDEN_METRICS_TOKEN_FILE: the token must be at least 16 printable characters, no spaces',
    );

    return undefined;
  }

  return token;
}
