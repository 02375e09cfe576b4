import { z } from 'zod';

import { isDay } from './coding/days.js';
import { BillingError } from './errors.js';
import { isValidNpi } from './npi.js';

const text = z.string().trim().min(1);
const day = z.string().refine(isDay, 'must be a YYYY-MM-DD day');
const npi = z.string().refine(isValidNpi, 'must be a valid NPI (10 digits, Luhn check digit)');
const pos = z.string().regex(/^\d{2}$/, 'must be a two-digit place of service');

const addressSchema = z.object({
  line1: text,
  line2: z.string().optional(),
  city: text,
  state: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state code'),
  postalCode: z.string().regex(/^\d{5}(\d{4})?$/, 'must be a 5 or 9 digit ZIP code'),
});

const personSchema = z.object({
  lastName: text,
  firstName: text,
  birthDate: day,
  sex: z.enum(['M', 'F', 'U']),
  address: addressSchema,
});

const lineSchema = z.object({
  code: z.string().regex(/^[0-9A-Z]\d{3}[0-9A-Z]$/, 'must be a CPT/HCPCS code'),
  modifiers: z.array(z.string().regex(/^[0-9A-Z]{2}$/, 'must be a two-character modifier')).max(4),
  units: z.number().int().positive(),
  chargeCents: z.number().int().positive(),
  dateOfService: day,
  placeOfService: pos.optional(),
  diagnosisPointers: z.array(z.number().int().min(1).max(12)).min(1).max(4),
  /** Why the line exists (the coding explanation); kept with the claim, never sent. */
  explanation: z.string().optional(),
});

/** Schema of a professional claim ready for the 837P. */
export const professionalClaimSchema = z
  .object({
    /** Patient control number (CLM01), echoed by the payer in 835 CLP01. */
    id: z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'must be 1-20 letters, digits or dashes'),
    patientId: text,
    payer: z.object({
      payerId: text,
      name: text,
      // [X12 837P 2000B SBR09 claim filing indicator]
      claimFilingIndicator: z.enum(['MB', 'MC', 'CI', 'BL', 'HM', '16', 'ZZ']),
    }),
    billingProvider: z.object({
      npi,
      name: text,
      taxId: z.string().regex(/^\d{9}$/, 'must be a nine-digit EIN'),
      // [X12 837P 2010AA N403: the billing provider's ZIP is the full nine digits]
      address: addressSchema.extend({
        postalCode: z.string().regex(/^\d{9}$/, 'must be a nine-digit ZIP+4 code'),
      }),
      taxonomy: z
        .string()
        .regex(/^[0-9A-Z]{9}X$/, 'must be a taxonomy code')
        .optional(),
    }),
    renderingProvider: z.object({ npi, lastName: text, firstName: text }).optional(),
    subscriber: personSchema.extend({
      memberId: text,
      groupNumber: z.string().optional(),
    }),
    /** The patient when not the subscriber; `relationship` is X12 PAT01 (01 spouse, 19 child, G8 other). */
    patient: personSchema
      .extend({ relationship: z.enum(['01', '19', '20', '21', '39', '40', '53', 'G8']) })
      .optional(),
    /** The patient's FHIR `Coverage` id the claim is billed to; kept, never sent. */
    coverageId: z.string().optional(),
    placeOfService: pos,
    diagnoses: z
      .array(
        z.string().regex(/^[A-TV-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$/, 'must be an ICD-10-CM code'),
      )
      .min(1)
      .max(12),
    lines: z.array(lineSchema).min(1).max(50),
  })
  .superRefine((claim, ctx) => {
    claim.lines.forEach((line, i) => {
      line.diagnosisPointers.forEach((p, j) => {
        if (p > claim.diagnoses.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['lines', i, 'diagnosisPointers', j],
            message: `points at diagnosis ${p} of ${claim.diagnoses.length}`,
          });
        }
      });
    });
  });

// [X12.5 ISA: element *, component :, repetition ^, segment ~] none may appear inside data;
// line breaks neither, since readers tolerate them between segments.
const DELIMITERS = /[*:^~\r\n]/;

// Every text field that goes into the 837 (the explanation stays with us and is skipped).
function delimiterIssues(value: unknown, path: string[] = []): string[] {
  if (typeof value === 'string') {
    return DELIMITERS.test(value)
      ? [`${path.join('.')}: contains an X12 delimiter character (* : ^ ~ or a line break)`]
      : [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => delimiterIssues(v, [...path, String(i)]));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .filter(([key]) => key !== 'explanation')
      .flatMap(([key, v]) => delimiterIssues(v, [...path, key]));
  }

  return [];
}

/** A professional (CMS-1500 / 837P) claim that passed the scrubber. */
export type ProfessionalClaim = z.infer<typeof professionalClaimSchema>;
/** One service line of a {@link ProfessionalClaim}. */
export type ServiceLine = ProfessionalClaim['lines'][number];
/** A person on a claim (subscriber or patient). */
export type ClaimPerson = z.infer<typeof personSchema>;
/** A postal address on a claim. */
export type ClaimAddress = z.infer<typeof addressSchema>;

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(claim)';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);

  return `${path}: ${missing ? 'missing' : issue.message}`;
}

/**
 * The claim scrubber: checks a draft before any X12 is built and returns it typed, or
 * throws a {@link BillingError} `SCRUB_FAILED` whose `issues` name every missing or wrong
 * field (`subscriber.memberId: missing`, `billingProvider.npi: must be a valid NPI`), and
 * every field holding an X12 delimiter, which would break the interchange.
 *
 * @example
 * ```ts
 * const claim = scrubClaim(draft); // throws before a bad claim reaches the payer
 * ```
 */
export function scrubClaim(draft: unknown): ProfessionalClaim {
  const parsed = professionalClaimSchema.safeParse(draft);
  const delimiters = delimiterIssues(draft);
  if (!parsed.success || delimiters.length > 0) {
    throw new BillingError('SCRUB_FAILED', 'claim is incomplete', [
      ...(parsed.success ? [] : parsed.error.issues.map(describe)),
      ...delimiters,
    ]);
  }

  return parsed.data;
}

/** Total charge of a claim in cents. */
export function claimTotalCents(claim: Pick<ProfessionalClaim, 'lines'>): number {
  return claim.lines.reduce((sum, l) => sum + l.chargeCents, 0);
}
