import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ConfigError, loadHubConfig } from './hub-config.js';

test('defaults: embedded database, 8080, 8883 over TLS', () => {
  const c = loadHubConfig({});

  assert.is(c.databaseUrl, undefined);
  assert.is(c.httpPort, 8080);
  assert.is(c.mqttPort, 8883);
  assert.ok(c.dataDir.endsWith('.data'));
});

test('a wrong value names the variable', () => {
  try {
    loadHubConfig({ SPARKDEN_HTTP_PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, /SPARKDEN_HTTP_PORT/);
    assert.match((e as Error).message, /DATABASE_URL: must be a postgres/);
  }
});

test('a port out of range is refused', () => {
  assert.throws(() => loadHubConfig({ SPARKDEN_MQTT_PORT: '70000' }), /SPARKDEN_MQTT_PORT/);
});

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const files: Record<string, string> = { '/pki/hub.pem': CERT, '/pki/hub.key': KEY };
function read(path: string): string {
  const text = files[path];
  if (text === undefined) {
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  }

  return text;
}

function issuesOf(env: NodeJS.ProcessEnv): string {
  try {
    loadHubConfig(env, read);
  } catch (e) {
    assert.instance(e, ConfigError);

    return (e as Error).message;
  }

  assert.unreachable('expected a ConfigError');

  return '';
}

test('plain HTTP listens on loopback unless a TLS proxy is declared', () => {
  assert.is(loadHubConfig({}).httpHost, '127.0.0.1');
  assert.match(issuesOf({ SPARKDEN_HTTP_HOST: '0.0.0.0' }), /SPARKDEN_HTTP_HOST: plain HTTP/);

  const proxied = loadHubConfig({ SPARKDEN_HTTP_HOST: '0.0.0.0', SPARKDEN_ALLOW_PLAIN_HTTP: 'on' });

  assert.is(proxied.httpHost, '0.0.0.0');
  assert.is(proxied.tls, undefined);
});

test('TLS certificate and key are read from the files named, and listen on every interface', () => {
  const c = loadHubConfig(
    { SPARKDEN_TLS_CERT: '/pki/hub.pem', SPARKDEN_TLS_KEY: '/pki/hub.key' },
    read,
  );

  assert.equal(c.tls, { certPem: CERT, keyPem: KEY });
  assert.is(c.httpHost, '0.0.0.0');
});

test('a certificate without its key, a missing file or a non-PEM file names the variable', () => {
  assert.match(
    issuesOf({ SPARKDEN_CA_CERT: '/pki/hub.pem' }),
    /SPARKDEN_CA_CERT, SPARKDEN_CA_KEY: set both/,
  );
  assert.match(
    issuesOf({ SPARKDEN_CA_CERT: '/pki/ca.pem', SPARKDEN_CA_KEY: '/pki/hub.key' }),
    /SPARKDEN_CA_CERT: cannot read \/pki\/ca.pem \(ENOENT\)/,
  );
  const swapped = issuesOf({ SPARKDEN_TLS_CERT: '/pki/hub.key', SPARKDEN_TLS_KEY: '/pki/hub.pem' });

  assert.match(swapped, /SPARKDEN_TLS_CERT: \/pki\/hub.key holds no PEM certificate/);
  assert.match(swapped, /SPARKDEN_TLS_KEY: \/pki\/hub.pem holds no PEM private key/);
  // A message names files and variables, never what a file holds.
  assert.not.match(swapped, /MII/);
});

test('a deployment CA, shared keys, OIDC and an SFU media address are passed on', () => {
  const c = loadHubConfig(
    {
      SPARKDEN_CA_CERT: '/pki/hub.pem',
      SPARKDEN_CA_KEY: '/pki/hub.key',
      SPARKDEN_KEYS_DIR: '/run/keys',
      SPARKDEN_OIDC_ISSUER: 'https://idp.example.org/realms/rpm',
      SPARKDEN_OIDC_AUDIENCE: 'sparkden',
      SPARKDEN_SFU_ANNOUNCED_ADDRESS: '203.0.113.7',
      SPARKDEN_SFU_PORT: '44444',
    },
    read,
  );

  assert.equal(c.ca, { certPem: CERT, keyPem: KEY });
  assert.is(c.keysDir, '/run/keys');
  assert.equal(c.oidc, {
    issuer: 'https://idp.example.org/realms/rpm',
    audience: 'sparkden',
    clockToleranceSeconds: undefined,
  });
  assert.equal(c.sfuMedia, { announcedAddress: '203.0.113.7', listenIp: undefined, port: 44444 });
  assert.match(issuesOf({ SPARKDEN_OIDC_ISSUER: 'https://idp.example.org' }), /set both/);
  assert.match(issuesOf({ SPARKDEN_SFU_LISTEN_IP: 'eth0' }), /SPARKDEN_SFU_LISTEN_IP/);
});

test('an upstream broker link gets a client id of its own host unless one is given', () => {
  const c = loadHubConfig({ SPARKDEN_MQTT_UPSTREAM_URL: 'mqtts://mqtt.example.org:8883' });

  assert.is(c.upstream?.url, 'mqtts://mqtt.example.org:8883');
  assert.match(c.upstream?.clientId ?? '', /^sparkden-hub-[A-Za-z0-9_.-]+$/);
  assert.match(issuesOf({ SPARKDEN_MQTT_UPSTREAM_URL: 'http://x' }), /SPARKDEN_MQTT_UPSTREAM_URL/);
  assert.match(
    issuesOf({
      SPARKDEN_MQTT_UPSTREAM_URL: 'mqtt://b:1883',
      SPARKDEN_MQTT_UPSTREAM_CLIENT_ID: 'a b',
    }),
    /SPARKDEN_MQTT_UPSTREAM_CLIENT_ID/,
  );
});

test.run();
