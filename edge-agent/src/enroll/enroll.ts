import { webcrypto } from 'node:crypto';
import { join } from 'node:path';

import * as x509 from '@peculiar/x509';
import { generateSealingKeyPair } from '@sparkden/protocol';

import { AgentError } from '../errors.js';
import { isLoopbackHost } from '../loopback.js';
import { STATE_FILES, ensureStateDir, writeFileAtomic, type Identity } from '../state-dir.js';
import { AGENT_VERSION } from '../version.js';
import * as z from '../zod-mini.js';

/** Options of {@link enrollAgent}. */
export interface EnrollOptions {
  /** The hub's base URL (`https://hub.example:8443`). */
  hub: string;
  /** The one-time enrollment token an IT admin created on the hub. */
  token: string;
  stateDir: string;
  /** For tests and proxies; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * The hub URL to enroll with: https, or http to a loopback host for development only, as
 * the one-time token travels in the request body.
 *
 * @throws {TypeError} naming `hub` and what is wrong with it.
 */
export function enrollmentUrl(hub: string): URL {
  let base: URL;
  try {
    base = new URL(hub);
  } catch {
    throw new TypeError(`"hub" must be an https:// URL, not "${hub}"`);
  }
  if (base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
    throw new TypeError(
      `"hub" must be https:// (the enrollment token would cross the network in clear); ` +
        `http:// is accepted only to loopback, for development, not ${base.host}`,
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new TypeError(`"hub" must be an https:// URL, not ${base.protocol}//`);
  }

  return new URL('/api/fleet/enroll', base);
}

const pem = z.string().check(z.includes('BEGIN CERTIFICATE'));
const answerSchema = z.object({
  agentId: z.string().check(z.minLength(1), z.maxLength(64)),
  certificatePem: pem,
  caPem: pem,
  hubSealingPublicKey: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'base64url of 32 bytes')),
  keyId: z.int().check(z.nonnegative()),
  mqttUrl: z.string().check(z.regex(/^mqtts?:\/\//)),
  config: z.optional(z.record(z.string(), z.unknown())),
});

/** What the hub answered, as stored. */
export type EnrollResult = Identity & { config?: Record<string, unknown> };

function toPem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();

  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function makeCsr(): Promise<{ csrPem: string; keyPem: string }> {
  const crypto = webcrypto;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  // The hub names the agent in the certificate it signs; the request only proves the key.
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: 'CN=sparkden-agent', keys, signingAlgorithm: algorithm },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);

  return { csrPem: csr.toString('pem'), keyPem: toPem('PRIVATE KEY', pkcs8) };
}

async function readError(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };

    return `${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/**
 * Enrolls this box with a hub: makes an X25519 sealing key pair and an ECDSA P-256 key with
 * a PKCS#10 request, sends them with the one-time token, and stores the answer (agent id,
 * signed certificate, CA, hub sealing key) in the state dir, files 0600, dir 0700.
 *
 * The hub must be `https://`; plain `http://` is accepted only to a loopback host, for
 * development, since the one-time token travels in the request.
 *
 * @throws {TypeError} when `hub` is not https (or http to loopback), or `token` is empty.
 * @throws {AgentError} `ENROLL_REFUSED` (the hub said no: bad or used token) or `ENROLL_FAILED`.
 * @example
 * ```ts
 * const { agentId } = await enrollAgent({ hub: 'https://hub:8443', token, stateDir: '/var/lib/sparkden-agent' });
 * ```
 */
export async function enrollAgent(options: EnrollOptions): Promise<EnrollResult> {
  const url = enrollmentUrl(options.hub);
  if (options.token.length === 0) {
    throw new TypeError('"token" must not be empty');
  }

  const sealing = generateSealingKeyPair();
  const { csrPem, keyPem } = await makeCsr();
  const body = {
    token: options.token,
    csrPem,
    sealingPublicKey: Buffer.from(sealing.publicKey).toString('base64url'),
    version: AGENT_VERSION,
  };
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      // A 307/308 would resend the token, possibly to plain http: follow none.
      redirect: 'error',
    });
  } catch (cause) {
    throw new AgentError('ENROLL_FAILED', `hub ${url.origin} unreachable`, { cause });
  }
  if (!res.ok) {
    const code = res.status >= 400 && res.status < 500 ? 'ENROLL_REFUSED' : 'ENROLL_FAILED';
    throw new AgentError(code, `hub answered ${await readError(res)}`);
  }
  const parsed = answerSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new AgentError(
      'ENROLL_FAILED',
      `hub answer malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const answer = parsed.data;
  const identity: Identity = {
    agentId: answer.agentId,
    keyId: answer.keyId,
    mqttUrl: answer.mqttUrl,
    hubSealingPublicKey: answer.hubSealingPublicKey,
    hubUrl: url.origin,
    enrolledAt: new Date().toISOString(),
  };

  const dir = options.stateDir;
  ensureStateDir(dir);
  writeFileAtomic(join(dir, STATE_FILES.key), keyPem);
  const sealingFile = {
    privateKey: Buffer.from(sealing.privateKey).toString('base64url'),
    publicKey: body.sealingPublicKey,
  };
  writeFileAtomic(join(dir, STATE_FILES.sealingKey), JSON.stringify(sealingFile));
  writeFileAtomic(join(dir, STATE_FILES.certificate), answer.certificatePem);
  writeFileAtomic(join(dir, STATE_FILES.ca), answer.caPem);
  // Written last: its presence means the enrollment is complete.
  writeFileAtomic(join(dir, STATE_FILES.identity), JSON.stringify(identity, null, 2));

  return { ...identity, config: answer.config };
}
