import type { FieldCipher } from '../crypto/field-cipher.js';
import {
  IDENTIFYING_FIELDS,
  PERSON_TYPES,
  type Resource,
  type ResourceType,
} from './resource-types.js';

/** A resource split for storage: the clear part and the sealed identifying fields. */
export interface ProtectedResource {
  clear: Resource;
  sealed: string | null;
}

/** Whether `type` keeps identifying fields sealed. */
export function isPersonType(type: string): boolean {
  return PERSON_TYPES.includes(type as ResourceType);
}

/**
 * Moves a person resource's identifying fields (names, birth date, identifiers, telecom,
 * address, photo, contacts) into one AES-256-GCM sealed value bound to the resource's type
 * and id.
 *
 * @example
 * ```ts
 * const { clear, sealed } = sealIdentifying(cipher, patient);
 * ```
 */
export function sealIdentifying(cipher: FieldCipher, resource: Resource): ProtectedResource {
  if (!isPersonType(resource.resourceType)) {
    return { clear: resource, sealed: null };
  }

  const clear: Resource = { ...resource };
  const secret: Record<string, unknown> = {};
  for (const field of IDENTIFYING_FIELDS) {
    if (clear[field] !== undefined) {
      secret[field] = clear[field];
      delete clear[field];
    }
  }
  const context = `${resource.resourceType}/${resource.id ?? ''}`;
  const sealed =
    Object.keys(secret).length === 0 ? null : cipher.seal(JSON.stringify(secret), context);

  return { clear, sealed };
}

/** Puts sealed identifying fields back, in their usual element order. */
export function openIdentifying(cipher: FieldCipher, stored: ProtectedResource): Resource {
  if (stored.sealed === null) {
    return stored.clear;
  }

  const context = `${stored.clear.resourceType}/${stored.clear.id ?? ''}`;
  const secret = JSON.parse(cipher.open(stored.sealed, context)) as Record<string, unknown>;
  const { resourceType, id, meta, ...rest } = stored.clear;

  return { resourceType, id, meta, ...secret, ...rest };
}
