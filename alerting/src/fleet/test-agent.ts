import { deriveSealingKey, generateSealingKeyPair } from '@sparkden/protocol';

import { createAgentCertificateRequest } from '../pki/index.js';
import type { Fleet } from './fleet.js';

/** An enrolled agent's credentials, as a real agent holds them after `enroll`. */
export interface TestAgent {
  agentId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
  keyId: number;
  /** The shared XChaCha20-Poly1305 key, derived on the agent's side. */
  sealingKey: Uint8Array;
}

/**
 * Enrolls an agent through the real enrollment path (token, CSR, sealing key), for tests,
 * benches and the demo: what `sparkden-agent enroll` does, without the HTTP hop.
 *
 * @example
 * ```ts
 * const agent = await enrollTestAgent(fleet);
 * mqtt.connect(url, { key: agent.keyPem, cert: agent.certPem, ca: agent.caPem, clientId: agent.agentId });
 * ```
 */
export async function enrollTestAgent(fleet: Fleet, version = 'test'): Promise<TestAgent> {
  const { token } = await fleet.createToken({ createdBy: 'test' });
  const sealing = generateSealingKeyPair();
  const request = await createAgentCertificateRequest();
  const e = await fleet.enroll({
    token,
    csrPem: request.csrPem,
    sealingPublicKey: sealing.publicKey,
    version,
  });
  const sealingKey = deriveSealingKey(sealing.privateKey, e.hubSealingPublicKey, {
    agentId: e.agentId,
    keyId: e.keyId,
  });

  return {
    agentId: e.agentId,
    keyPem: request.keyPem,
    certPem: e.certificatePem,
    caPem: e.caPem,
    keyId: e.keyId,
    sealingKey,
  };
}
