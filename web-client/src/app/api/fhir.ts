import { requestJson } from './http.js';

/** The FHIR base path the gateway serves. */
export const FHIR_BASE = '/fhir';

/** The parts of FHIR resources the app reads; everything else is passed through untouched. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { lastUpdated?: string; versionId?: string };
  [key: string]: unknown;
}

interface Bundle {
  resourceType: 'Bundle';
  entry?: Array<{ resource?: FhirResource; search?: { mode?: string } }>;
  link?: Array<{ relation: string; url: string }>;
}

/** A FHIR `HumanName`, reduced to what the app shows. */
export interface HumanName {
  text?: string;
  given?: string[];
  family?: string;
}

/** The displayable name of a Patient or Practitioner. */
export function displayName(resource: { name?: HumanName[] } | undefined, fallback = ''): string {
  const name = resource?.name?.[0];
  if (!name) {
    return fallback;
  }

  return name.text ?? [...(name.given ?? []), name.family ?? ''].join(' ').trim();
}

/**
 * Searches a FHIR type and returns the matched resources (not `_include`d ones), following
 * `next` links up to `maxPages`.
 *
 * @example
 * ```ts
 * const appts = await searchFhir('Appointment', { date: 'ge2026-12-03', _sort: 'date' });
 * ```
 */
export async function searchFhir<T extends FhirResource>(
  type: string,
  params: Record<string, string | string[]>,
  maxPages = 5,
): Promise<T[]> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      query.append(key, v);
    }
  }

  const found: T[] = [];
  let url: string | undefined = `${FHIR_BASE}/${type}?${query.toString()}`;
  for (let page = 0; url && page < maxPages; page += 1) {
    const bundle: Bundle = await requestJson<Bundle>(url, {
      headers: { accept: 'application/fhir+json' },
    });
    for (const entry of bundle.entry ?? []) {
      if (entry.resource && entry.search?.mode !== 'include') {
        found.push(entry.resource as T);
      }
    }
    url = sameOriginPath(bundle.link?.find((l) => l.relation === 'next')?.url);
  }

  return found;
}

// Paging links are absolute; keep them on this origin so a misconfigured base cannot send the
// bearer token elsewhere.
function sameOriginPath(url: string | undefined): string | undefined {
  if (!url) {
    return undefined;
  }
  const parsed = new URL(url, globalThis.location.origin);

  return parsed.origin === globalThis.location.origin ? parsed.pathname + parsed.search : undefined;
}

/** Reads one resource by type and id. */
export function readFhir<T extends FhirResource>(type: string, id: string): Promise<T> {
  return requestJson<T>(`${FHIR_BASE}/${type}/${encodeURIComponent(id)}`, {
    headers: { accept: 'application/fhir+json' },
  });
}

/** Creates a resource and returns it as stored. */
export function createFhir<T extends FhirResource>(resource: T): Promise<T> {
  return requestJson<T>(`${FHIR_BASE}/${resource.resourceType}`, {
    method: 'POST',
    body: resource,
    headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
  });
}
