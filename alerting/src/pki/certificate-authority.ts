import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

import { PkiError } from './errors.js';
import {
  EC_ALGORITHM,
  SIGNING_ALGORITHM,
  exportPrivateKeyPem,
  generateEcKeyPair,
  importPrivateKeyPem,
  normalizeSerial,
  randomSerial,
} from './pem.js';

const DAY_MS = 86_400_000;
const ACCEPTED_CURVES = ['P-256', 'P-384'];

/** A certificate the CA issued, with what callers store about it. */
export interface IssuedCertificate {
  pem: string;
  /** Lower-case hex without leading zeros (see {@link normalizeSerial}). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** A server certificate with its private key, ready for `tls.createServer`. */
export interface ServerCredentials extends IssuedCertificate {
  keyPem: string;
  /** The DNS names and IP addresses it is valid for. */
  names: string[];
}

/** Options of {@link CertificateAuthority.signAgentCsr}. */
export interface SignAgentCsrOptions {
  /** The agent id written as the certificate's CN and in its SANs. */
  agentId: string;
  /** Days the certificate is valid (default 397). */
  validityDays?: number;
}

function altName(name: string): x509.JsonGeneralName {
  return isIP(name) ? { type: 'ip', value: name } : { type: 'dns', value: name };
}

function window(days: number): { notBefore: Date; notAfter: Date } {
  // Back-date by five minutes so a peer whose clock runs a little behind accepts it.
  const notBefore = new Date(Date.now() - 5 * 60_000);

  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

function describe(cert: x509.X509Certificate): IssuedCertificate {
  return {
    pem: cert.toString('pem'),
    serial: normalizeSerial(cert.serialNumber),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/**
 * The hub's certificate authority (ECDSA P-256): issues the broker's server certificate and
 * signs agents' certificate requests at enrollment, each naming its agent id as CN.
 *
 * @example
 * ```ts
 * const ca = await CertificateAuthority.create('Spark Den development CA');
 * const cert = await ca.signAgentCsr(csrPem, { agentId: 'agent-7' });
 * ```
 */
export class CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly #key: webcrypto.CryptoKey;

  private constructor(certificate: x509.X509Certificate, key: webcrypto.CryptoKey) {
    this.certificate = certificate;
    this.#key = key;
  }

  /** The CA certificate as PEM, what agents and clients trust. */
  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** Makes a new self-signed CA valid for `validityDays` (default ten years). */
  static async create(commonName: string, validityDays = 3650): Promise<CertificateAuthority> {
    const keys = await generateEcKeyPair();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ O: ['Spark Den'] }, { CN: [commonName] }],
      ...window(validityDays),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        // [RFC 5280 4.2.1.9: a CA sets cA and marks the extension critical]
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });

    return new CertificateAuthority(certificate, keys.privateKey);
  }

  /**
   * Loads a CA from its certificate and key (PKCS#8 or SEC1 PEM).
   *
   * @throws {PkiError} `CA_INVALID` when the certificate is not a CA or the key is not its own.
   */
  static async load(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const certificate = new x509.X509Certificate(certPem);
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) {
      throw new PkiError('CA_INVALID', 'the certificate is not a CA (basicConstraints cA)');
    }
    const key = await importPrivateKeyPem(keyPem);

    const probe = new Uint8Array([1, 2, 3]);
    const signature = await webcrypto.subtle.sign(SIGNING_ALGORITHM, key, probe);
    const exported: unknown = await certificate.publicKey.export(EC_ALGORITHM, ['verify']);
    const publicKey = exported as webcrypto.CryptoKey;
    const matches = await webcrypto.subtle.verify(SIGNING_ALGORITHM, publicKey, signature, probe);
    if (!matches) {
      throw new PkiError('CA_INVALID', 'the CA key does not match the CA certificate');
    }

    return new CertificateAuthority(certificate, key);
  }

  /** The CA's private key as PKCS#8 PEM, to persist it. */
  exportKeyPem(): Promise<string> {
    return exportPrivateKeyPem(this.#key);
  }

  /**
   * Issues a TLS server certificate (serverAuth) for the given DNS names and IP addresses.
   *
   * @example
   * ```ts
   * const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
   * tls.createServer({ cert: server.pem, key: server.keyPem, ca: ca.pem });
   * ```
   */
  async issueServerCertificate(names: string[], validityDays = 397): Promise<ServerCredentials> {
    if (names.length === 0) {
      throw new TypeError('"names" must list at least one DNS name or IP address');
    }

    const keys = await generateEcKeyPair();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ O: ['Spark Den'] }, { CN: [names[0]] }],
      issuer: this.certificate.subjectName,
      ...window(validityDays),
      publicKey: keys.publicKey,
      signingKey: this.#key,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map(altName)),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });

    return { ...describe(certificate), keyPem: await exportPrivateKeyPem(keys.privateKey), names };
  }

  /**
   * Verifies an agent's PKCS#10 request (its self-signature proves it holds the key) and
   * issues a clientAuth certificate with the agent id as CN, a `urn:sparkden:agent:` URI SAN
   * and the agent id as DNS SAN. Whatever subject or extensions the CSR asks for are ignored:
   * the hub decides what the certificate says.
   *
   * @throws {PkiError} `CSR_INVALID`, `CSR_SIGNATURE` or `KEY_UNSUPPORTED`.
   */
  async signAgentCsr(csrPem: string, options: SignAgentCsrOptions): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (cause) {
      throw new PkiError('CSR_INVALID', 'not a PEM PKCS#10 certificate request', { cause });
    }
    const algorithm = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
    if (algorithm.name !== 'ECDSA' || !ACCEPTED_CURVES.includes(algorithm.namedCurve)) {
      throw new PkiError('KEY_UNSUPPORTED', 'the key must be ECDSA P-256 or P-384');
    }
    if (!(await csr.verify().catch(() => false))) {
      throw new PkiError('CSR_SIGNATURE', 'the request is not signed by its own key');
    }

    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ O: ['Spark Den'] }, { CN: [options.agentId] }],
      issuer: this.certificate.subjectName,
      ...window(options.validityDays ?? 397),
      publicKey: csr.publicKey,
      signingKey: this.#key,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: `urn:sparkden:agent:${options.agentId}` },
          { type: 'dns', value: options.agentId },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });

    return describe(certificate);
  }
}
