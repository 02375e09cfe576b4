import { GatewayError } from '../../errors.js';
import type { FhirRequest } from '../context.js';
import { referencesOf } from '../index-values.js';
import { isResourceType, type Resource, type ResourceType } from '../resource-types.js';
import type { FhirService } from '../service.js';
import type { CompiledSearch } from './compile.js';

/**
 * The resources `_include` adds to a page [FHIR R4 search 3.2.1.5.5]: the references the
 * matched resources themselves hold in each named parameter (so device readings, which
 * the search index never holds, include their patient too), each read where it lives and
 * checked like a read. A reference the caller may not read is left out (the denial is
 * audited); one to nothing, or to a type this server does not serve, is left out too;
 * every other error travels.
 *
 * @example
 * ```ts
 * const included = await includesOf(fhir, req, compiled, page.matches);
 * ```
 */
export async function includesOf(
  fhir: FhirService,
  req: FhirRequest,
  c: CompiledSearch,
  matches: Resource[],
): Promise<Resource[]> {
  if (c.include.length === 0 || matches.length === 0) {
    return [];
  }

  const seen = new Set(matches.map((m) => `${m.resourceType}/${String(m.id)}`));
  const wanted: [ResourceType, string][] = [];
  for (const match of matches) {
    for (const include of c.include) {
      for (const reference of referencesOf(match, include.param)) {
        const [type, id] = reference.split('/');
        const fits = include.targetType === undefined || include.targetType === type;
        if (!fits || seen.has(reference) || !servable(fhir, type) || id === undefined) {
          continue;
        }
        seen.add(reference);
        wanted.push([type, id]);
      }
    }
  }
  const included: Resource[] = [];
  for (const [type, id] of wanted) {
    const found = await fhir.resolve(type, id);
    if (found !== undefined && (await mayInclude(fhir, req, type, id, found.patientId))) {
      included.push(found.resource);
    }
  }

  return included;
}

function servable(fhir: FhirService, type: string | undefined): type is ResourceType {
  return type !== undefined && isResourceType(type) && fhir.sources.serves(type);
}

async function mayInclude(
  fhir: FhirService,
  req: FhirRequest,
  type: ResourceType,
  id: string,
  patientId: string | null,
): Promise<boolean> {
  try {
    await fhir.guard(req, 'read', type, `${type}/${id}`, patientId);

    return true;
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'FORBIDDEN') {
      return false;
    }
    throw error;
  }
}
