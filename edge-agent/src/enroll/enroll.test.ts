import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { STATE_FILES } from '../state-dir.js';
import { enrollAgent, enrollmentUrl } from './enroll.js';

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
const TOKEN = 'sdt_one-time-token';

/** A hub that answers every enrollment, recording what it was sent. */
function fakeHub() {
  const calls: { url: string; body: string; redirect?: RequestInit['redirect'] }[] = [];
  const fetchFn = (async (url: URL, init?: RequestInit) => {
    calls.push({ url: String(url), body: init?.body as string, redirect: init?.redirect });
    const answer = {
      agentId: 'agent-1',
      certificatePem: PEM,
      caPem: PEM,
      hubSealingPublicKey: 'A'.repeat(43),
      keyId: 1,
      mqttUrl: 'mqtts://hub.example:8883',
    };

    return Promise.resolve(Response.json(answer));
  }) as typeof fetch;

  return { calls, fetch: fetchFn };
}

function withStateDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-enroll-'));
    try {
      await run(join(dir, 'state'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'plain http to a remote hub is refused before the token is sent',
  withStateDir(async (stateDir) => {
    const hub = fakeHub();

    for (const url of ['http://hub.example:8080', 'http://10.0.0.5', 'http://127.example.org']) {
      try {
        await enrollAgent({ hub: url, token: TOKEN, stateDir, fetch: hub.fetch });
        assert.unreachable(`${url} accepted`);
      } catch (error) {
        assert.instance(error, TypeError);
        assert.match((error as Error).message, /"hub" must be https:\/\/.*loopback/);
      }
    }
    assert.is(hub.calls.length, 0, 'the token never left the box');
    assert.not.ok(existsSync(join(stateDir, STATE_FILES.identity)));
  }),
);

test('other schemes and non-URLs are refused naming "hub"', () => {
  for (const url of ['ftp://hub.example', 'hub.example:8443', 'mqtts://hub.example']) {
    assert.throws(() => enrollmentUrl(url), /"hub" must be an https:\/\/ URL/);
  }
});

test('http is accepted to loopback only, for development', () => {
  for (const url of ['http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:80']) {
    assert.is(enrollmentUrl(url).pathname, '/api/fleet/enroll', url);
  }
  assert.is(
    enrollmentUrl('https://hub.example:8443').href,
    'https://hub.example:8443/api/fleet/enroll',
  );
});

test(
  'an https hub gets the token once, redirects refused, and the identity is stored',
  withStateDir(async (stateDir) => {
    const hub = fakeHub();

    const result = await enrollAgent({
      hub: 'https://hub.example:8443',
      token: TOKEN,
      stateDir,
      fetch: hub.fetch,
    });
    assert.is(result.agentId, 'agent-1');
    assert.is(hub.calls.length, 1);
    assert.is(hub.calls[0]?.url, 'https://hub.example:8443/api/fleet/enroll');
    assert.is(hub.calls[0]?.redirect, 'error');
    assert.match(hub.calls[0]?.body ?? '', TOKEN);
    const identity = JSON.parse(readFileSync(join(stateDir, STATE_FILES.identity), 'utf8')) as {
      hubUrl: string;
    };
    assert.is(identity.hubUrl, 'https://hub.example:8443');
  }),
);

test.run();
