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
