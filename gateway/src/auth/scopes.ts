/** One FHIR interaction as SMART v2 names them: create, read, update, delete, search. */
export type ScopeLetter = 'c' | 'r' | 'u' | 'd' | 's';

/** A parsed SMART clinical scope. */
export interface ClinicalScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type, or `*`. */
  type: string;
  letters: ReadonlySet<ScopeLetter>;
}

// [SMART App Launch 2.0 3.0.2: scopes are context/type.permissions; v1 read, write, *;
// v2 a subset of "cruds" in that order]
const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$/;

const V1: Record<string, ScopeLetter[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/**
 * Parses one SMART clinical scope (`patient/Observation.rs`, `user/*.*`,
 * `system/*.read`); `undefined` for anything else (`openid`, `offline_access`, …).
 * A v2 query suffix (`?category=…`) is not supported and the scope is ignored.
 *
 * @example
 * ```ts
 * parseScope('patient/Observation.rs'); // { context: 'patient', type: 'Observation', … }
 * ```
 */
export function parseScope(scope: string): ClinicalScope | undefined {
  const match = SCOPE.exec(scope);
  if (match === null || match[3] === '') {
    return undefined;
  }

  const [, context, type, perms] = match as unknown as [
    string,
    ClinicalScope['context'],
    string,
    string,
  ];
  const letters = new Set<ScopeLetter>(V1[perms] ?? (perms.split('') as ScopeLetter[]));

  return { context, type, letters };
}

/**
 * The contexts in which `scopes` allow `letter` on `type`: empty when nothing allows it.
 *
 * @example
 * ```ts
 * allowedContexts(['patient/*.read'], 'Observation', 's'); // ['patient']
 * ```
 */
export function allowedContexts(
  scopes: readonly string[],
  type: string,
  letter: ScopeLetter,
): ClinicalScope['context'][] {
  const contexts = new Set<ClinicalScope['context']>();
  for (const raw of scopes) {
    const scope = parseScope(raw);
    if (scope !== undefined && (scope.type === '*' || scope.type === type)) {
      if (scope.letters.has(letter)) {
        contexts.add(scope.context);
      }
    }
  }

  return [...contexts];
}

/** Keeps the requested scopes that `allowed` covers (exact strings, or clinical subsets). */
export function grantScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  return requested.filter((want) => {
    if (allowed.includes(want)) {
      return true;
    }
    const scope = parseScope(want);
    if (scope === undefined) {
      return false;
    }

    return [...scope.letters].every((l) =>
      allowedContexts(allowed, scope.type === '*' ? '*' : scope.type, l).includes(scope.context),
    );
  });
}
