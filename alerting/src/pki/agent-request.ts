import * as x509 from '@peculiar/x509';

import { SIGNING_ALGORITHM, exportPrivateKeyPem, generateEcKeyPair } from './pem.js';

/** A fresh client key and the PKCS#10 request that asks the hub to certify it. */
export interface AgentCertificateRequest {
  keyPem: string;
  csrPem: string;
}

/**
 * Makes a P-256 key pair and a CSR for it, as an agent does before enrolling. The hub
 * ignores the requested subject and writes the agent id it chooses.
 *
 * @example
 * ```ts
 * const { keyPem, csrPem } = await createAgentCertificateRequest();
 * ```
 */
export async function createAgentCertificateRequest(
  commonName = 'sparkden-agent',
): Promise<AgentCertificateRequest> {
  const keys = await generateEcKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });

  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}
