import type { FhirRepository } from '../fhir/repository.js';

/** The parts of a [FHIR R4 HumanName] a display name is made of. */
export interface HumanName {
  use?: string;
  text?: string;
  prefix?: string[];
  given?: string[];
  family?: string;
}

/**
 * One line for a person's names [FHIR R4 HumanName]: the `usual` or `official` name first;
 * its `text` when given, else prefix, given names and family name in that order.
 * `undefined` when there is nothing to show.
 *
 * @example
 * ```ts
 * formatHumanName([{ prefix: ['Dr.'], given: ['Ada'], family: 'Quill' }]); // 'Dr. Ada Quill'
 * ```
 */
export function formatHumanName(names: readonly HumanName[] | undefined): string | undefined {
  const name =
    names?.find((n) => n.use === 'usual') ?? names?.find((n) => n.use === 'official') ?? names?.[0];
  const parts = [...(name?.prefix ?? []), ...(name?.given ?? []), name?.family ?? ''];
  const text = name?.text?.trim() || parts.join(' ').replace(/\s+/g, ' ').trim();

  return text === '' ? undefined : text;
}

/**
 * The display name of a stored person resource (a Practitioner or a Patient), from its
 * current version; `undefined` when it is absent, deleted or nameless. A person's name:
 * for the people who work with them, never for a log.
 *
 * @example
 * ```ts
 * const name = await readPersonName(repo, 'Practitioner', 'demo-nurse'); // 'Riley Shaw'
 * ```
 */
export async function readPersonName(
  repo: Pick<FhirRepository, 'current' | 'toResource'>,
  type: 'Practitioner' | 'Patient',
  id: string,
): Promise<string | undefined> {
  const row = await repo.current(type, id);
  const resource = row === undefined || row.deleted ? undefined : repo.toResource(row);

  return formatHumanName(resource?.name as HumanName[] | undefined);
}
