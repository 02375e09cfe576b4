import { z } from 'zod';

import { isDay } from './coding/days.js';
import { BillingError } from './errors.js';
import { isValidNpi } from './npi.js';

const text = z.string().trim().min(1);
const day = z.string().refine(isDay, 'must be a YYYY-MM-DD day');
const x12Id = z.string().regex(/^[A-Za-z0-9 ]{1,15}$/, 'must be 1-15 letters or digits');

const feeSchema = z
  .object({
    code: z.string().regex(/^[0-9A-Z]\d{3}[0-9A-Z]$/, 'must be a CPT/HCPCS code'),
    /** Modifiers this fee is for; absent means any. */
    modifiers: z.array(z.string().regex(/^[0-9A-Z]{2}$/)).optional(),
    /** What we charge, per unit, in cents. */
    chargeCents: z.number().int().positive(),
    /** What the contract allows, per unit, in cents (for expected-payment checks). */
    allowedCents: z.number().int().nonnegative().optional(),
    effectiveFrom: day,
    effectiveTo: day.optional(),
  })
  .refine((f) => f.effectiveTo === undefined || f.effectiveTo >= f.effectiveFrom, {
    message: 'effectiveTo is before effectiveFrom',
    path: ['effectiveTo'],
  });

const telehealthSchema = z.object({
  codeSet: z.enum(['office-em', 'telemedicine']),
  posHome: z
    .string()
    .regex(/^\d{2}$/)
    .default('10'),
  posOther: z
    .string()
    .regex(/^\d{2}$/)
    .default('02'),
  videoModifier: z
    .string()
    .regex(/^[0-9A-Z]{2}$/)
    .optional(),
  audioOnlyModifier: z
    .string()
    .regex(/^[0-9A-Z]{2}$/)
    .optional(),
  audioOnlyAllowed: z.boolean(),
});

const payerSchema = z.object({
  payerId: text,
  name: text,
  claimFilingIndicator: z.enum(['MB', 'MC', 'CI', 'BL', 'HM', '16', 'ZZ']),
  /** The clearinghouse or payer that receives our X12 (ISA08, 1000B). */
  receiver: z.object({ id: x12Id, name: text }),
  telehealth: telehealthSchema,
  max99458Units: z.number().int().nonnegative().optional(),
  /** Days after the date of service a claim may still be filed. */
  timelyFilingDays: z.number().int().positive().default(365),
  /**
   * Whether a two-way secure-message exchange is the month's real-time interaction for
   * treatment management; when absent, `need-audio-video` for Medicare-like payers (SBR09
   * MB, 16) and `count-as-interaction` for the rest (see {@link messageRuleOf}).
   */
  messages: z.enum(['need-audio-video', 'count-as-interaction']).optional(),
  fees: z.array(feeSchema).min(1),
});

// How calls and secure messages turn into treatment-management minutes (see
// minutesFromCommunications); the same for every payer, since the ledger is the practice's.
const interactiveTimeSchema = z
  .object({
    messageReplyWindowMinutes: z.number().positive().max(1440).default(10),
    messageExchangeMinimumMinutes: z.number().positive().max(60).default(5),
    messageExchangeMaximumMinutes: z.number().positive().max(60).default(15),
  })
  .refine((r) => r.messageExchangeMinimumMinutes <= r.messageExchangeMaximumMinutes, {
    message: 'messageExchangeMinimumMinutes is above the maximum',
    path: ['messageExchangeMinimumMinutes'],
  });

/** Schema of the billing configuration: who we are, and each payer's contract. */
export const billingConfigSchema = z
  .object({
    usage: z.enum(['P', 'T']),
    /** The practice's place of service for RPM lines (CMS POS code; 11 office). */
    placeOfService: z
      .string()
      .regex(/^\d{2}$/, 'must be a two-digit place of service')
      .default('11'),
    interactiveTime: interactiveTimeSchema.default({
      messageReplyWindowMinutes: 10,
      messageExchangeMinimumMinutes: 5,
      messageExchangeMaximumMinutes: 15,
    }),
    submitter: z.object({
      id: x12Id,
      name: text,
      contactName: text,
      phone: z.string().regex(/^[\d()+\- ]{10,20}$/),
    }),
    billingProvider: z.object({
      npi: z.string().refine(isValidNpi, 'must be a valid NPI'),
      name: text,
      taxId: z.string().regex(/^\d{9}$/, 'must be a nine-digit EIN'),
      taxonomy: z
        .string()
        .regex(/^[0-9A-Z]{9}X$/)
        .optional(),
      address: z.object({
        line1: text,
        line2: z.string().optional(),
        city: text,
        state: z.string().regex(/^[A-Z]{2}$/),
        // [X12 837P 2010AA N403] the billing provider's ZIP+4, nine digits
        postalCode: z.string().regex(/^\d{9}$/, 'must be a nine-digit ZIP+4 code'),
      }),
    }),
    payers: z.array(payerSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.payers.forEach((p, i) => {
      if (seen.has(p.payerId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['payers', i, 'payerId'],
          message: `duplicate payer ${p.payerId}`,
        });
      }
      seen.add(p.payerId);
      p.fees.forEach((a, j) => {
        p.fees.slice(j + 1).forEach((b, k) => {
          const sameKey =
            a.code === b.code && (a.modifiers ?? []).join() === (b.modifiers ?? []).join();
          const overlap =
            (a.effectiveTo ?? '9999') >= b.effectiveFrom &&
            (b.effectiveTo ?? '9999') >= a.effectiveFrom;
          if (sameKey && overlap) {
            ctx.addIssue({
              code: 'custom',
              path: ['payers', i, 'fees', j + k + 1],
              message: `overlaps another ${a.code} fee`,
            });
          }
        });
      });
    });
  });

/** The validated billing configuration. */
export type BillingConfig = z.infer<typeof billingConfigSchema>;
/** One payer's contract. */
export type PayerContract = BillingConfig['payers'][number];

/**
 * Validates the billing configuration (payer contracts and fee schedules), returning it with
 * defaults filled in, or throwing a {@link BillingError} `INVALID_CONFIG` whose `issues` name
 * each bad field (`payers.0.fees.2.chargeCents: …`).
 *
 * @example
 * ```ts
 * const config = loadBillingConfig(JSON.parse(readFileSync('billing.json', 'utf8')));
 * ```
 */
export function loadBillingConfig(input: unknown): BillingConfig {
  const parsed = billingConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const missing = i.code === 'invalid_type' && /received undefined/.test(i.message);

      return `${i.path.map(String).join('.') || '(config)'}: ${missing ? 'missing' : i.message}`;
    });
    throw new BillingError('INVALID_CONFIG', 'billing configuration is invalid', issues);
  }

  return parsed.data;
}

/** The payer contract for `payerId`, or a `NOT_FOUND` BillingError. */
export function payerContract(config: BillingConfig, payerId: string): PayerContract {
  const payer = config.payers.find((p) => p.payerId === payerId);
  if (payer === undefined) {
    throw new BillingError('NOT_FOUND', `no contract with payer ${payerId}`);
  }

  return payer;
}

/**
 * The fee-schedule entry for a code on a date of service: one for the exact modifiers
 * first, else one for any modifiers. Throws `NOT_FOUND` when the contract has none.
 */
export function feeFor(
  payer: PayerContract,
  code: string,
  modifiers: readonly string[],
  dateOfService: string,
) {
  const live = payer.fees.filter(
    (f) =>
      f.code === code &&
      f.effectiveFrom <= dateOfService &&
      (f.effectiveTo === undefined || f.effectiveTo >= dateOfService),
  );
  const exact = live.find(
    (f) => f.modifiers !== undefined && f.modifiers.join() === modifiers.join(),
  );
  const fee = exact ?? live.find((f) => f.modifiers === undefined);
  if (fee === undefined) {
    throw new BillingError(
      'NOT_FOUND',
      `payer ${payer.payerId} has no fee for ${code} on ${dateOfService}`,
    );
  }

  return fee;
}

// [X12 837P SBR09] MB Medicare Part B, 16 Medicare HMO (Medicare Advantage)
const MEDICARE_LIKE = ['MB', '16'];

/**
 * The payer's reading of secure messages for treatment management: its contract's
 * `messages`, else `need-audio-video` for Medicare-like payers (CMS: interactive
 * communication is real-time synchronous two-way audio) and `count-as-interaction` for others.
 */
export function messageRuleOf(payer: PayerContract): 'need-audio-video' | 'count-as-interaction' {
  return (
    payer.messages ??
    (MEDICARE_LIKE.includes(payer.claimFilingIndicator)
      ? 'need-audio-video'
      : 'count-as-interaction')
  );
}
