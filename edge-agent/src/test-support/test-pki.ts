import { webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

// Test scaffolding: a throw-away CA for the stand-in hub. The real PKI is the hub's.
const crypto = webcrypto;
// @peculiar/x509 types its provider as the DOM `Crypto`; Node's webcrypto is that object.
const provider = webcrypto as never;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function toPem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();

  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** A CA with a server certificate for 127.0.0.1, and a way to sign agent requests. */
export interface TestPki {
  caPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  /** Signs a PKCS#10 request as a client certificate with CN = `commonName`. */
  signCsr(csrPem: string, commonName: string): Promise<string>;
}

function serial(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
}

/** Makes a fresh test PKI. */
export async function createTestPki(): Promise<TestPki> {
  const caKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3_600_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: 'CN=Spark Den test CA',
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
      ],
    },
    provider,
  );
  const serverKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: 'CN=127.0.0.1',
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    },
    provider,
  );

  return {
    caPem: ca.toString('pem'),
    serverKeyPem: toPem(
      'PRIVATE KEY',
      await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey),
    ),
    serverCertPem: server.toString('pem'),
    async signCsr(csrPem, commonName) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify(provider))) {
        throw new Error('CSR signature invalid');
      }
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: serial(),
          subject: `CN=${commonName}`,
          issuer: ca.subject,
          notBefore,
          notAfter,
          publicKey: csr.publicKey,
          signingKey: caKeys.privateKey,
          signingAlgorithm: ALG,
          extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
        },
        provider,
      );

      return cert.toString('pem');
    },
  };
}
