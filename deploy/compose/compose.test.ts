/**
 * `compose.yaml`, checked without a Docker engine (none runs on the development machines):
 * it parses, its references resolve, the host-networked SFU can reach Redis, every variable
 * it sets is one the hub or the SFU reads, and the documented PKI step names what the
 * health check calls.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

type Service = {
  environment?: Record<string, string>;
  network_mode?: string;
  depends_on?: string[] | Record<string, unknown>;
  secrets?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
};

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const compose = parse(readFileSync(join(here, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};
const readers = ['gateway/src/bin/hub-config.ts', 'sfu/src/worker-binary.ts']
  .map((f) => readFileSync(join(root, f), 'utf8'))
  .join('\n');

test('every dependency, secret and named volume a service uses is declared', () => {
  const names = Object.keys(compose.services);
  for (const [name, s] of Object.entries(compose.services)) {
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const d of deps) {
      assert.ok(names.includes(d), `${name} depends on ${d}`);
    }
    for (const secret of s.secrets ?? []) {
      assert.ok(compose.secrets[secret], `${name}: secret ${secret}`);
    }
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/')) {
        assert.ok(source in compose.volumes, `${name}: volume ${source}`);
      }
    }
  }
});

test("a host-networked service reaches Redis only where Redis publishes on the host's loopback", () => {
  for (const [name, s] of Object.entries(compose.services)) {
    const url = s.environment?.REDIS_URL;
    if (s.network_mode === 'host' && url !== undefined) {
      const port = new URL(url).port || '6379';
      const published = compose.services.redis?.ports ?? [];
      assert.ok(
        published.includes(`127.0.0.1:${port}:6379`),
        `${name}: Redis on 127.0.0.1:${port}`,
      );
    }
  }
});

test('every Spark Den variable compose sets is one the hub or the SFU reads', () => {
  for (const [name, s] of Object.entries(compose.services)) {
    for (const key of Object.keys(s.environment ?? {}).filter((k) => k.startsWith('SPARKDEN_'))) {
      assert.ok(new RegExp(`\\b${key}\\b`).test(readers), `${name}: ${key} is read`);
    }
  }
});

test("the documented PKI step names localhost, which the hub's health check calls", () => {
  const check = compose.services.hub?.healthcheck?.test.join(' ') ?? '';
  assert.match(check, /https:\/\/localhost:8080\/readyz/);
  const out = mkdtempSync(join(tmpdir(), 'sd-pki-'));
  try {
    const r = spawnSync('bash', [join(root, 'deploy/pki/make-pki.sh'), out], {
      env: { ...process.env, HUB_NAMES: 'DNS:hub.example.org,IP:203.0.113.7' },
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    const san = spawnSync(
      'openssl',
      ['x509', '-in', join(out, 'hub.pem'), '-noout', '-ext', 'subjectAltName'],
      { encoding: 'utf8' },
    ).stdout;
    assert.match(san, /DNS:hub\.example\.org/);
    assert.match(san, /DNS:localhost/);
    // Every certificate compose mounts comes out of the PKI step.
    for (const s of Object.values(compose.services)) {
      for (const v of (s.volumes ?? []).filter((x) => x.startsWith('./pki/'))) {
        const file = v.split(':')[0]!.slice('./pki/'.length);
        assert.ok(readFileSync(join(out, file)).length > 0, `make-pki.sh writes ${file}`);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
