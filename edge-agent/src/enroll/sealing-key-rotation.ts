import { join } from 'node:path';

import { STATE_FILES, writeFileAtomic, type Credentials, type Identity } from '../state-dir.js';
import * as z from '../zod-mini.js';

/** The config field a hub key rotation travels in (`down/config`, sealed under the old key). */
export const SEALING_KEY_FIELD = 'sealingKey';

/** Previous hub keys kept, to open `down/*` frames the hub sealed before it saw the switch. */
const KEEP_PREVIOUS = 2;

const sealingKeyPushSchema = z.object({
  keyId: z.int().check(z.gte(1), z.lte(0xffffffff)),
  hubPublicKey: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'base64url of 32 bytes')),
});

/** A new sealing key the hub asks for: its id and the hub's public key of that version. */
export type SealingKeyPush = z.infer<typeof sealingKeyPushSchema>;

/**
 * Splits a pushed config into the rotation request (if any) and the rest, which the agent
 * validates and applies as usual.
 *
 * @throws {z.core.$ZodError} when the rotation field is malformed.
 * @example
 * ```ts
 * const { sealingKey, rest } = splitSealingKey(push.config);
 * ```
 */
export function splitSealingKey(config: Record<string, unknown>): {
  sealingKey?: SealingKeyPush;
  rest: Record<string, unknown>;
} {
  const { [SEALING_KEY_FIELD]: field, ...rest } = config;
  if (field === undefined) {
    return { rest };
  }

  return { sealingKey: sealingKeyPushSchema.parse(field), rest };
}

/**
 * Moves the enrolled identity to a new hub sealing key (written atomically, 0600) and keeps
 * the previous ones. A request for a key id not above the current one changes nothing.
 *
 * @returns The new credentials, or `undefined` when nothing changed.
 */
export function adoptSealingKey(
  stateDir: string,
  credentials: Credentials,
  push: SealingKeyPush,
): Credentials | undefined {
  if (push.keyId <= credentials.keyId) {
    return undefined;
  }

  const previous = [
    { keyId: credentials.keyId, hubSealingPublicKey: credentials.hubSealingPublicKey },
    ...(credentials.previousHubKeys ?? []),
  ].slice(0, KEEP_PREVIOUS);
  const identity: Identity = {
    agentId: credentials.agentId,
    keyId: push.keyId,
    mqttUrl: credentials.mqttUrl,
    hubSealingPublicKey: push.hubPublicKey,
    hubUrl: credentials.hubUrl,
    enrolledAt: credentials.enrolledAt,
    previousHubKeys: previous,
  };
  writeFileAtomic(join(stateDir, STATE_FILES.identity), JSON.stringify(identity, null, 2));

  return {
    ...credentials,
    ...identity,
    hubPublicKey: new Uint8Array(Buffer.from(push.hubPublicKey, 'base64url')),
  };
}
