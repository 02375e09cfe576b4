import type { Hub } from '../hub.js';

/**
 * Prints where the hub is and, on a demo hub, one user per role with the password and the
 * TOTP secret to add to an authenticator app. Written to stdout, never to the log: these are
 * the demo's own fixed credentials.
 */
export function printWelcome(hub: Hub, database: string): void {
  const lines = [
    '',
    'Spark Den is running',
    `  console:  ${hub.url}/`,
    `  FHIR:     ${hub.url}/fhir/metadata`,
    `  health:   ${hub.url}/healthz   metrics: ${hub.url}/metrics`,
    `  agents:   ${hub.mqttUrl} (MQTT over mutual TLS)`,
    `  database: ${database}`,
  ];
  if (hub.demoUsers.length > 0) {
    lines.push('', 'Demo users (role, username, password, TOTP secret):');
    for (const u of hub.demoUsers) {
      const secret = u.totpSecret ?? (u.clientId === undefined ? '-' : `client id ${u.clientId}`);
      lines.push(`  ${u.role.padEnd(10)} ${u.username.padEnd(16)} ${u.password}  ${secret}`);
    }
    lines.push(
      '',
      'A demo agent reads a simulated CMS50D+ whose patient desaturates once a minute.',
    );
  }
  lines.push('Ctrl-C stops everything.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}
