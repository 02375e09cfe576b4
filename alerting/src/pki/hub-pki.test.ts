import * as x509 from '@peculiar/x509';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createAgentCertificateRequest } from './agent-request.js';
import { CertificateAuthority } from './certificate-authority.js';
import { PkiError } from './errors.js';
import { loadHubPki } from './hub-pki.js';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'sd-pki-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('first start creates a CA and a server certificate, keys 0600; the second reuses them', () =>
  withDir(async (dir) => {
    const first = await loadHubPki({ dir, serverNames: ['hub.example.test'] });
    assert.ok(first.createdCa);
    for (const name of ['ca.key', 'server.key']) {
      const mode = (await stat(join(dir, name))).mode & 0o777;
      assert.is(mode, 0o600, `${name} is 0600`);
    }

    const server = new X509Certificate(first.server.pem);
    const ca = new X509Certificate(first.ca.pem);
    assert.ok(server.checkIssued(ca), 'the server certificate is issued by the CA');
    assert.ok(server.verify(ca.publicKey));
    assert.ok(server.checkHost('hub.example.test'));
    assert.ok(server.checkHost('localhost'));
    assert.is(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.is(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const second = await loadHubPki({ dir, serverNames: ['hub.example.test'] });
    assert.not.ok(second.createdCa);
    assert.is(second.ca.pem, first.ca.pem);
    assert.is(second.server.serial, first.server.serial);

    const renamed = await loadHubPki({ dir, serverNames: ['other.example.test'] });
    assert.is(renamed.ca.pem, first.ca.pem);
    assert.is.not(renamed.server.serial, first.server.serial, 'a new name reissues');
  }));

test('an agent CSR is signed with the agent id as CN, whatever subject it asked for', async () => {
  const ca = await CertificateAuthority.create('test CA');
  const { csrPem } = await createAgentCertificateRequest('i-want-to-be-admin');

  const issued = await ca.signAgentCsr(csrPem, { agentId: 'agent-42' });

  const cert = new X509Certificate(issued.pem);
  assert.ok(cert.checkIssued(new X509Certificate(ca.pem)));
  assert.match(cert.subject, /CN=agent-42/);
  assert.not.match(cert.subject, /admin/);
  assert.match(cert.subjectAltName ?? '', /urn:sparkden:agent:agent-42/);
  assert.is(cert.serialNumber.toLowerCase().replace(/^0+/, ''), issued.serial);
  // Node lists the extended key usages as OIDs. [RFC 5280 4.2.1.12: id-kp-clientAuth]
  assert.equal(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
});

test('a CSR that is garbage, tampered or RSA is refused with its code', async () => {
  const ca = await CertificateAuthority.create('test CA');
  const codeOf = (e: unknown) => (e instanceof PkiError ? e.code : String(e));

  const garbage = await ca.signAgentCsr('hello', { agentId: 'a' }).catch(codeOf);
  assert.is(garbage, 'CSR_INVALID');

  const { csrPem } = await createAgentCertificateRequest();
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
  der[der.length - 5] ^= 0x01;
  const tampered = new x509.Pkcs10CertificateRequest(der).toString('pem');
  assert.is(await ca.signAgentCsr(tampered, { agentId: 'a' }).catch(codeOf), 'CSR_SIGNATURE');

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKeys = {
    privateKey: await crypto.subtle.importKey(
      'pkcs8',
      rsa.privateKey.export({ type: 'pkcs8', format: 'der' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    ),
    publicKey: await crypto.subtle.importKey(
      'spki',
      rsa.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    ),
  };
  const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=rsa',
    keys: rsaKeys,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  assert.is(
    await ca.signAgentCsr(rsaCsr.toString('pem'), { agentId: 'a' }).catch(codeOf),
    'KEY_UNSUPPORTED',
  );
});

test('a deployment CA is loaded from PEM; a mismatched key is refused', async () => {
  const ca = await CertificateAuthority.create('deployment CA');
  const other = await CertificateAuthority.create('another CA');

  const loaded = await CertificateAuthority.load(ca.pem, await ca.exportKeyPem());
  assert.is(loaded.pem, ca.pem);

  try {
    await CertificateAuthority.load(ca.pem, await other.exportKeyPem());
    assert.unreachable();
  } catch (e) {
    assert.instance(e, PkiError);
    assert.is((e as PkiError).code, 'CA_INVALID');
  }
});

test.run();
