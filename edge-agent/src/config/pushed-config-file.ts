import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { openJson, sealJson, type AgentConfigPush } from '@sparkden/protocol';

import { splitSealingKey } from '../enroll/sealing-key-rotation.js';
import { STATE_FILES, writeFileAtomic } from '../state-dir.js';
import { parsePushedConfig, type PushedConfig } from './schema.js';

/** The last config the hub pushed and the agent applied, as stored in the state dir. */
export interface StoredPush {
  version: number;
  sections: PushedConfig;
}

/**
 * Reads the hub config the agent last applied (sealed at rest with the queue's key).
 *
 * @returns `undefined` when the hub never pushed one.
 * @throws when the file does not open or no longer validates (the caller logs it by code).
 * @example
 * ```ts
 * const stored = readPushedConfig(stateDir, atRestKey);
 * ```
 */
export function readPushedConfig(stateDir: string, key: Uint8Array): StoredPush | undefined {
  const file = join(stateDir, STATE_FILES.pushedConfig);
  if (!existsSync(file)) {
    return undefined;
  }

  const { value } = openJson(readFileSync(file), { key: () => key, kind: 'config' });
  const push = value as AgentConfigPush;
  const parsed = parsePushedConfig(splitSealingKey(push.config).rest);
  if (!parsed.success) {
    throw parsed.error;
  }

  return { version: push.version, sections: parsed.data };
}

/** Stores a hub config once it validated, sealed at rest, replacing the previous one. */
export function writePushedConfig(
  stateDir: string,
  agentId: string,
  key: Uint8Array,
  push: AgentConfigPush,
): void {
  const header = { kind: 'config' as const, keyId: 0, agentId, seq: BigInt(push.version) };

  writeFileAtomic(join(stateDir, STATE_FILES.pushedConfig), sealJson(header, push, key));
}
