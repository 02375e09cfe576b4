import * as x509 from '@peculiar/x509';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CertificateAuthority, type ServerCredentials } from './certificate-authority.js';
import { normalizeSerial, readOptional, writePrivateFile } from './pem.js';

/** Options of {@link loadHubPki}. */
export interface LoadHubPkiOptions {
  /** Where the development CA and the server certificate live (created 0700). */
  dir: string;
  /** Extra DNS names or IP addresses for the broker's certificate, beside localhost and 127.0.0.1. */
  serverNames?: string[];
  /**
   * A deployment CA (see `deploy/pki/make-pki.sh`) to use instead of the development CA.
   * Both PEMs, or neither.
   */
  caCertPem?: string;
  caKeyPem?: string;
}

/** The hub's PKI: its CA and the broker's current server certificate. */
export interface HubPki {
  ca: CertificateAuthority;
  server: ServerCredentials;
  /** Whether the CA was created by this call (the hub's first start). */
  createdCa: boolean;
}

const DEFAULT_NAMES = ['localhost', '127.0.0.1'];
const RENEW_BEFORE_MS = 30 * 86_400_000;

async function loadCa(options: LoadHubPkiOptions) {
  const certPath = join(options.dir, 'ca.pem');
  const keyPath = join(options.dir, 'ca.key');
  if (options.caCertPem !== undefined || options.caKeyPem !== undefined) {
    if (options.caCertPem === undefined || options.caKeyPem === undefined) {
      throw new TypeError('"caCertPem" and "caKeyPem" must be given together');
    }

    return {
      ca: await CertificateAuthority.load(options.caCertPem, options.caKeyPem),
      created: false,
    };
  }
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined) {
    return { ca: await CertificateAuthority.load(certPem, keyPem), created: false };
  }

  const ca = await CertificateAuthority.create('Spark Den development CA');
  await writePrivateFile(keyPath, await ca.exportKeyPem());
  await writeFile(certPath, ca.pem, { mode: 0o644 });

  return { ca, created: true };
}

function stillGood(certPem: string, names: string[], ca: CertificateAuthority): boolean {
  const cert = new x509.X509Certificate(certPem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const covered = new Set(san?.names.items.map((n) => n.value) ?? []);
  const fresh = cert.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS;

  return fresh && cert.issuer === ca.certificate.subject && names.every((n) => covered.has(n));
}

/**
 * Loads the hub's PKI from its data directory, creating on first start a development CA
 * (ECDSA P-256, ten years) and a broker certificate for localhost, 127.0.0.1 and
 * `serverNames`. The server certificate is reissued when names change, the CA changes or
 * it nears expiry. Private keys are written 0600.
 *
 * @example
 * ```ts
 * const { ca, server } = await loadHubPki({ dir: '.data/pki', serverNames: ['hub.local'] });
 * ```
 */
export async function loadHubPki(options: LoadHubPkiOptions): Promise<HubPki> {
  const names = [...new Set([...DEFAULT_NAMES, ...(options.serverNames ?? [])])];
  const certPath = join(options.dir, 'server.pem');
  const keyPath = join(options.dir, 'server.key');

  const { ca, created } = await loadCa(options);
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined && stillGood(certPem, names, ca)) {
    const cert = new x509.X509Certificate(certPem);
    const server: ServerCredentials = {
      pem: certPem,
      keyPem,
      names,
      serial: normalizeSerial(cert.serialNumber),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };

    return { ca, server, createdCa: created };
  }
  const server = await ca.issueServerCertificate(names);
  await writePrivateFile(keyPath, server.keyPem);
  await writeFile(certPath, server.pem, { mode: 0o644 });

  return { ca, server, createdCa: created };
}
