import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from 'node:crypto';

import { EnvelopeError } from './errors.js';

/** The envelope format version this code writes and reads. */
export const ENVELOPE_VERSION = 1;

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x44; // 'D'
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const FIXED_HEADER_BYTES = 9; // magic(2) version(1) kind(1) keyId(4) agentIdLength(1)

/** What a sealed frame carries. Numbered on the wire; never renumber. */
export const ENVELOPE_KINDS = { obs: 1, alarm: 2, status: 3, ack: 4, config: 5 } as const;

export type EnvelopeKind = keyof typeof ENVELOPE_KINDS;

/**
 * The clear header of a sealed frame. It is authenticated as associated data, so changing
 * any field (or moving a body under another header) makes the frame fail to open.
 */
export interface EnvelopeHeader {
  version: number;
  kind: EnvelopeKind;
  /** Names the key the body is sealed with; keys rotate by id. */
  keyId: number;
  agentId: string;
  /** The batch sequence number, unique per agent and kind. */
  seq: bigint;
}

function kindName(code: number): EnvelopeKind | undefined {
  const entry = Object.entries(ENVELOPE_KINDS).find(([, c]) => c === code);

  return entry?.[0] as EnvelopeKind | undefined;
}

function encodeHeader(h: Omit<EnvelopeHeader, 'version'>): Uint8Array {
  const agent = Buffer.from(h.agentId, 'utf8');
  if (agent.length < 1 || agent.length > 64) {
    throw new TypeError('"agentId" must be 1 to 64 bytes');
  }
  if (!Number.isInteger(h.keyId) || h.keyId < 0 || h.keyId > 0xffffffff) {
    throw new TypeError('"keyId" must be an unsigned 32-bit integer');
  }
  if (h.seq < 0n || h.seq > 0xffffffffffffffffn) {
    throw new TypeError('"seq" must be an unsigned 64-bit integer');
  }
  const out = Buffer.alloc(FIXED_HEADER_BYTES + agent.length + 8);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = ENVELOPE_VERSION;
  out[3] = ENVELOPE_KINDS[h.kind];
  out.writeUInt32BE(h.keyId, 4);
  out[8] = agent.length;
  agent.copy(out, FIXED_HEADER_BYTES);
  out.writeBigUInt64BE(h.seq, FIXED_HEADER_BYTES + agent.length);

  return out;
}

/** The decoded header and where it ends in the frame. */
interface RawHeader {
  header: EnvelopeHeader;
  length: number;
}

function decodeHeader(frame: Uint8Array): RawHeader {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < FIXED_HEADER_BYTES) {
    throw new EnvelopeError('TRUNCATED', `frame of ${buf.length} bytes has no header`);
  }
  if (buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1) {
    throw new EnvelopeError('BAD_MAGIC', 'frame does not start with "SD"');
  }
  if (buf[2] !== ENVELOPE_VERSION) {
    throw new EnvelopeError('UNSUPPORTED_VERSION', `envelope version ${buf[2]} at byte 2`);
  }
  const kind = kindName(buf[3]);
  if (kind === undefined) {
    throw new EnvelopeError('BAD_HEADER', `unknown kind ${buf[3]} at byte 3`);
  }
  const agentLength = buf[8];
  const length = FIXED_HEADER_BYTES + agentLength + 8;
  if (agentLength < 1 || agentLength > 64) {
    throw new EnvelopeError('BAD_HEADER', `agent id length ${agentLength} at byte 8`);
  }
  if (buf.length < length + NONCE_BYTES + TAG_BYTES) {
    throw new EnvelopeError('TRUNCATED', `frame of ${buf.length} bytes is shorter than its header`);
  }
  const agentId = buf.toString('utf8', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + agentLength);
  const header: EnvelopeHeader = {
    version: buf[2],
    kind,
    keyId: buf.readUInt32BE(4),
    agentId,
    seq: buf.readBigUInt64BE(FIXED_HEADER_BYTES + agentLength),
  };

  return { header, length };
}

/**
 * Reads the clear header of a sealed frame **without authenticating it**, so a receiver
 * can pick the key. Trust nothing in it until {@link openEnvelope} succeeds.
 *
 * @throws {EnvelopeError} `TRUNCATED`, `BAD_MAGIC`, `UNSUPPORTED_VERSION` or `BAD_HEADER`.
 */
export function peekEnvelopeHeader(frame: Uint8Array): EnvelopeHeader {
  return decodeHeader(frame).header;
}

function checkKey(key: Uint8Array) {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new TypeError('"key" must be 32 bytes');
  }
}

/**
 * Seals a body under a header with XChaCha20-Poly1305 and a random 24-byte nonce.
 * Layout: header ‖ nonce ‖ ciphertext ‖ tag, the header being the associated data.
 *
 * @example
 * ```ts
 * const frame = sealEnvelope({ kind: 'obs', keyId: 1, agentId: 'a-1', seq: 7n }, body, key);
 * ```
 */
export function sealEnvelope(
  header: Omit<EnvelopeHeader, 'version'>,
  body: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  checkKey(key);

  const aad = encodeHeader(header);
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = xchacha20poly1305(key, nonce, aad).encrypt(body);

  return Buffer.concat([aad, nonce, sealed]);
}

/** What {@link openEnvelope} expects of the header, checked before decryption. */
export interface OpenEnvelopeOptions {
  /** Returns the key for a header's key id and agent, or `undefined` if there is none. */
  key: (header: EnvelopeHeader) => Uint8Array | undefined;
  /** The agent the frame must come from (usually the one named by the topic). */
  agentId?: string;
  /** The kind the frame must be (usually the one named by the topic). */
  kind?: EnvelopeKind;
}

/**
 * Authenticates and decrypts a sealed frame. Any change to any byte, a wrong key, a header
 * from another frame or a cut frame fails with an {@link EnvelopeError}; no plaintext is
 * ever returned from a frame that did not authenticate.
 *
 * @throws {EnvelopeError}
 */
export function openEnvelope(
  frame: Uint8Array,
  options: OpenEnvelopeOptions,
): { header: EnvelopeHeader; body: Uint8Array } {
  const { header, length } = decodeHeader(frame);
  if (options.agentId !== undefined && options.agentId !== header.agentId) {
    throw new EnvelopeError('HEADER_MISMATCH', 'frame names another agent than its topic');
  }
  if (options.kind !== undefined && options.kind !== header.kind) {
    throw new EnvelopeError(
      'HEADER_MISMATCH',
      `frame is "${header.kind}", expected "${options.kind}"`,
    );
  }
  const key = options.key(header);
  if (key === undefined) {
    throw new EnvelopeError('UNKNOWN_KEY', `no key ${header.keyId} for this agent`);
  }
  checkKey(key);

  const aad = frame.subarray(0, length);
  const nonce = frame.subarray(length, length + NONCE_BYTES);
  const sealed = frame.subarray(length + NONCE_BYTES);
  let body: Uint8Array;
  try {
    body = xchacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch (cause) {
    throw new EnvelopeError('AUTH_FAILED', 'frame did not authenticate', { cause });
  }

  return { header, body };
}

/** Seals a JSON-serialisable value. */
export function sealJson(
  header: Omit<EnvelopeHeader, 'version'>,
  value: unknown,
  key: Uint8Array,
): Uint8Array {
  return sealEnvelope(header, Buffer.from(JSON.stringify(value), 'utf8'), key);
}

/**
 * Opens a frame and parses its body as JSON.
 *
 * @throws {EnvelopeError} as {@link openEnvelope}, or `BAD_BODY` when the plaintext is not JSON.
 */
export function openJson(
  frame: Uint8Array,
  options: OpenEnvelopeOptions,
): { header: EnvelopeHeader; value: unknown } {
  const { header, body } = openEnvelope(frame, options);
  try {
    return { header, value: JSON.parse(Buffer.from(body).toString('utf8')) as unknown };
  } catch (cause) {
    throw new EnvelopeError('BAD_BODY', 'authenticated body is not JSON', { cause });
  }
}
