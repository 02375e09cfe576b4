import { summaryElementsOf } from './definitions.js';
import type { HistoryEntry } from './repository.js';
import type { Resource } from './resource-types.js';

/** A FHIR Bundle as JSON. */
export type Bundle = Resource & { resourceType: 'Bundle'; type: string };

const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
};

// Whether `key` is, or is a typed choice of (`valueQuantity` for `value[x]`), a name in `names`.
function named(names: Set<string>, key: string): boolean {
  return (
    names.has(key) || [...key.matchAll(/[A-Z]/g)].some((m) => names.has(key.slice(0, m.index)))
  );
}

/**
 * Applies `_summary` / `_elements` to one resource [FHIR R4 search 3.1.1.5.8-9]; a cut
 * resource is tagged SUBSETTED.
 */
export function shapeResource(
  resource: Resource,
  summary: 'true' | 'false' | 'count' | 'data' | 'text',
  elements: string[] | undefined,
): Resource {
  let keep: ((key: string) => boolean) | undefined;
  if (elements !== undefined) {
    keep = (k) => elements.includes(k);
  } else if (summary === 'true') {
    const summaryKeys = summaryElementsOf(resource.resourceType);
    keep = (k) => named(summaryKeys, k);
  } else if (summary === 'text') {
    keep = (k) => k === 'text';
  } else if (summary === 'data') {
    keep = (k) => k !== 'text';
  }
  if (keep === undefined) {
    return resource;
  }

  const shaped: Resource = { resourceType: resource.resourceType };
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'id' || key === 'meta' || keep(key)) {
      shaped[key] = value;
    }
  }
  const tags = [...((resource.meta?.tag as unknown[] | undefined) ?? []), SUBSETTED];
  shaped.meta = { ...(resource.meta ?? {}), tag: tags };

  return shaped;
}

/** Builds a `searchset` Bundle with total, self/first/previous/next links and modes. */
export function searchsetBundle(input: {
  base: string;
  type: string;
  used: [string, string][];
  total: number;
  count: number;
  offset: number;
  matches: Resource[];
  includes: Resource[];
}): Bundle {
  const link = (offset: number) => {
    const params = new URLSearchParams(
      input.used.filter(([k]) => k !== '_offset' && k !== '_count'),
    );
    params.set('_count', String(input.count));
    if (offset > 0) {
      params.set('_offset', String(offset));
    }

    return `${input.base}/${input.type}?${params.toString()}`;
  };
  const links = [
    { relation: 'self', url: link(input.offset) },
    { relation: 'first', url: link(0) },
  ];
  if (input.offset > 0) {
    links.push({ relation: 'previous', url: link(Math.max(0, input.offset - input.count)) });
  }
  if (input.count > 0 && input.offset + input.count < input.total) {
    links.push({ relation: 'next', url: link(input.offset + input.count) });
  }
  const entry = (mode: string) => (resource: Resource) => ({
    fullUrl: `${input.base}/${resource.resourceType}/${resource.id ?? ''}`,
    resource,
    search: { mode },
  });

  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: input.total,
    link: links,
    entry: [...input.matches.map(entry('match')), ...input.includes.map(entry('include'))],
  };
}

/** Builds a `history` Bundle of one resource's versions. */
export function historyBundle(
  base: string,
  type: string,
  id: string,
  entries: HistoryEntry[],
): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'history',
    total: entries.length,
    link: [{ relation: 'self', url: `${base}/${type}/${id}/_history` }],
    entry: entries.map((e) => ({
      fullUrl: `${base}/${type}/${id}`,
      ...(e.deleted ? {} : { resource: e.resource }),
      request: {
        method: e.method === 'PATCH' ? 'PUT' : e.method,
        url: e.method === 'POST' ? type : `${type}/${id}`,
      },
      response: {
        status: e.deleted ? '204' : e.version === 1 ? '201' : '200',
        etag: `W/"${e.version}"`,
        lastModified: e.lastUpdated,
      },
    })),
  };
}
