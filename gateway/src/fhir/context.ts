import type { Caller } from '../access/principal.js';

/** Who is asking and from where, for one FHIR interaction. */
export interface FhirRequest {
  caller: Caller;
  /** The FHIR base URL, for fullUrl and links. */
  base: string;
  source: string;
  requestId: string;
}
