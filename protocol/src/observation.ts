import { v7 as uuidv7 } from 'uuid';

import {
  BP_COMPONENTS,
  DATA_ABSENT_REASONS,
  QUALITY_FLAGS,
  TRANSPORTS,
  VITAL_CODES,
  VITAL_CODE_KEYS,
  loincFor,
  loincsOf,
  type VitalCode,
  type VitalCodeInfo,
} from './codes.js';
import { ObservationError } from './errors.js';
import { glucoseContextSchema, type GlucoseContext } from './glucose-context.js';
import * as z from './zod-mini.js';

const vitalCode = z.enum(VITAL_CODE_KEYS as [VitalCode, ...VitalCode[]]);
const isoTime = z.iso.datetime({ offset: true });

/** Schema of the device that produced a reading. */
export const deviceRefSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  model: z.optional(z.string().check(z.maxLength(128))),
  serial: z.optional(z.string().check(z.maxLength(128))),
  transport: z.enum(TRANSPORTS),
});

const measured = {
  value: z.optional(z.number()),
  unit: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  dataAbsentReason: z.optional(z.enum(DATA_ABSENT_REASONS)),
};
const mdc = z.optional(z.int().check(z.nonnegative()));

/** Schema of one component of a panel (blood pressure systolic/diastolic/mean). */
export const componentSchema = z.object({
  code: vitalCode,
  loinc: z.string().check(z.minLength(1)),
  mdc,
  ...measured,
});

/**
 * Schema of one reading, the contract between edge and hub. Times are ISO 8601 with an
 * offset; `effectiveAt` is the device clock corrected for skew.
 */
export const observationSchema = z
  .object({
    id: z.uuid(),
    patient: z.string().check(z.minLength(1), z.maxLength(128)),
    device: deviceRefSchema,
    code: vitalCode,
    loinc: z.string().check(z.minLength(1)),
    mdc,
    ...measured,
    components: z.optional(z.array(componentSchema).check(z.minLength(1), z.maxLength(8))),
    effectiveAt: isoTime,
    deviceTime: z.optional(isoTime),
    receivedAt: isoTime,
    status: z.enum(['final', 'preliminary', 'amended', 'entered-in-error']),
    quality: z._default(z.array(z.enum(QUALITY_FLAGS)).check(z.maxLength(16)), []),
    interpretation: z.optional(
      z.array(z.string().check(z.minLength(1), z.maxLength(8))).check(z.maxLength(8)),
    ),
    /** What the device said about the circumstances; glucose only, absent on older agents. */
    context: z.optional(glucoseContextSchema),
  })
  .check(z.superRefine(checkShape));

function checkShape(
  o: z.infer<typeof componentSchema> & Partial<ObservationShape>,
  ctx: z.core.$RefinementCtx,
) {
  const info: VitalCodeInfo = VITAL_CODES[o.code];
  if (!allowedLoincs(o.code, o.unit).includes(o.loinc)) {
    const inUnit = o.unit === undefined ? '' : ` in ${o.unit}`;
    ctx.addIssue({
      code: 'custom',
      path: ['loinc'],
      message: `does not match code "${o.code}"${inUnit}`,
    });
  }
  const hasValue = o.value !== undefined;
  const hasComponents = o.components !== undefined;
  if (hasValue && o.dataAbsentReason !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['dataAbsentReason'],
      message: 'not allowed with a value',
    });
  }
  if (!hasValue && !hasComponents && o.dataAbsentReason === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['value'],
      message: 'required (or components, or dataAbsentReason)',
    });
  }
  if (hasValue && o.unit === undefined) {
    ctx.addIssue({ code: 'custom', path: ['unit'], message: 'required with a value' });
  }
  if (o.unit !== undefined && !info.units.includes(o.unit)) {
    ctx.addIssue({
      code: 'custom',
      path: ['unit'],
      message: `"${o.unit}" is not a UCUM unit for "${o.code}" (${info.units.join(', ')})`,
    });
  }
  if (o.context !== undefined && o.code !== 'glucose') {
    ctx.addIssue({ code: 'custom', path: ['context'], message: `not allowed for "${o.code}"` });
  }
  if (hasComponents && o.code !== 'bp-panel') {
    ctx.addIssue({ code: 'custom', path: ['components'], message: `not allowed for "${o.code}"` });
  }
  o.components?.forEach((c, i) => {
    checkComponent(c, ['components', i], ctx);
  });
}

/**
 * The LOINC codes a reading may carry: the unit's own code where LOINC has one (a glucose in
 * mmol/L is never 2339-0, a mass concentration), else the primary or alternative code.
 */
function allowedLoincs(code: VitalCode, unit: string | undefined): string[] {
  if (unit === undefined) {
    return loincsOf(code);
  }

  const info: VitalCodeInfo = VITAL_CODES[code];
  const byUnit = info.loincByUnit?.[unit];

  return byUnit ? [byUnit.loinc] : [info.loinc, ...(info.altLoinc ? [info.altLoinc] : [])];
}

function checkComponent(
  c: z.infer<typeof componentSchema>,
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
) {
  if (!(BP_COMPONENTS as readonly string[]).includes(c.code)) {
    ctx.addIssue({ code: 'custom', path: [...path, 'code'], message: 'not a panel component' });
  }
  const info: VitalCodeInfo = VITAL_CODES[c.code];
  if (c.loinc !== info.loinc) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'loinc'],
      message: `does not match "${c.code}"`,
    });
  }
  if (c.value === undefined && c.dataAbsentReason === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'value'],
      message: 'required (or dataAbsentReason)',
    });
  }
  if (c.value !== undefined && !info.units.includes(c.unit ?? '')) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'unit'],
      message: 'missing or not a UCUM unit',
    });
  }
}

interface ObservationShape {
  components: z.infer<typeof componentSchema>[];
  context: GlucoseContext;
}

/** One reading as it travels from edge to hub. */
export type Observation = z.infer<typeof observationSchema>;
/** A blood-pressure component. */
export type ObservationComponent = z.infer<typeof componentSchema>;
/** The device that produced a reading. */
export type DeviceRef = z.infer<typeof deviceRefSchema>;

/**
 * Formats zod issues as `path: reason`, the path dotted (`components.0.unit`). Takes the error
 * of a zod/mini schema (these) or of a classic zod one, which extends it.
 */
export function formatIssues(error: z.core.$ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');

    return `${path || '(root)'}: ${issue.message}`;
  });
}

/**
 * Validates an unknown value as an {@link Observation}.
 *
 * @throws {ObservationError} `INVALID`, with a message naming each bad field.
 * @example
 * ```ts
 * const obs = parseObservation(JSON.parse(text));
 * ```
 */
export function parseObservation(input: unknown): Observation {
  const result = observationSchema.safeParse(input);
  if (!result.success) {
    throw new ObservationError('INVALID', formatIssues(result.error));
  }

  return result.data;
}

/** What a driver knows about a reading; {@link createObservation} fills in the rest. */
export interface ObservationInput {
  patient: string;
  device: DeviceRef;
  code: VitalCode;
  value?: number;
  unit?: string;
  dataAbsentReason?: Observation['dataAbsentReason'];
  components?: Array<Omit<ObservationComponent, 'loinc' | 'mdc'> & { mdc?: number }>;
  mdc?: number;
  effectiveAt?: Date | string;
  deviceTime?: Date | string;
  receivedAt?: Date | string;
  status?: Observation['status'];
  quality?: Observation['quality'];
  interpretation?: string[];
  /** Glucose only; an empty context is left out. */
  context?: GlucoseContext;
  id?: string;
}

function isEmpty(context: GlucoseContext | undefined): boolean {
  return context === undefined || Object.values(context).every((v) => v === undefined);
}

function toIso(t: Date | string | undefined, fallback: Date): string {
  if (t === undefined) {
    return fallback.toISOString();
  }

  return typeof t === 'string' ? t : t.toISOString();
}

/**
 * Builds a valid observation with a fresh UUIDv7, the LOINC (and MDC) codes and the
 * preferred unit filled in from {@link VITAL_CODES}. The LOINC code follows the unit the
 * value is in ({@link loincFor}): glucose in mmol/L goes out as 15074-8, in mg/dL as 2339-0.
 *
 * @throws {ObservationError} `INVALID` when the result breaks the contract.
 * @example
 * ```ts
 * createObservation({ patient: 'p-1', device, code: 'spo2', value: 97 });
 * ```
 */
export function createObservation(input: ObservationInput): Observation {
  const now = new Date();
  const info: VitalCodeInfo = VITAL_CODES[input.code];
  const hasValue = input.value !== undefined;
  const unit = input.unit ?? (hasValue ? info.unit : undefined);
  const components = input.components?.map((c) => {
    const ci: VitalCodeInfo = VITAL_CODES[c.code];

    return {
      ...c,
      loinc: ci.loinc,
      mdc: c.mdc ?? ci.mdc,
      unit: c.unit ?? (c.value === undefined ? undefined : ci.unit),
    };
  });

  return parseObservation({
    id: input.id ?? uuidv7(),
    patient: input.patient,
    device: input.device,
    code: input.code,
    loinc: loincFor(input.code, unit).loinc,
    mdc: input.mdc ?? info.mdc,
    value: input.value,
    unit,
    dataAbsentReason: input.dataAbsentReason,
    components,
    effectiveAt: toIso(input.effectiveAt, now),
    deviceTime: input.deviceTime === undefined ? undefined : toIso(input.deviceTime, now),
    receivedAt: toIso(input.receivedAt, now),
    status: input.status ?? 'final',
    quality: input.quality ?? [],
    interpretation: input.interpretation,
    context: isEmpty(input.context) ? undefined : input.context,
  });
}
