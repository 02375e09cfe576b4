import * as z from './zod-mini.js';

/** [Bluetooth GSS: Glucose Measurement Context, Meal] */
export const GLUCOSE_MEALS = [
  'preprandial',
  'postprandial',
  'fasting',
  'casual',
  'bedtime',
] as const;
/** [Bluetooth GSS: Glucose Measurement Context, Carbohydrate ID] */
export const CARBOHYDRATE_MEALS = [
  'breakfast',
  'lunch',
  'dinner',
  'snack',
  'drink',
  'supper',
  'brunch',
] as const;
/** [Bluetooth GSS: Glucose Measurement Context, Tester] */
export const GLUCOSE_TESTERS = ['self', 'health care professional', 'lab test'] as const;
/** [Bluetooth GSS: Glucose Measurement Context, Health] */
export const GLUCOSE_HEALTH = [
  'minor health issues',
  'major health issues',
  'during menses',
  'under stress',
  'no health issues',
] as const;
/** [Bluetooth GSS: Glucose Measurement Context, Medication ID] */
export const GLUCOSE_MEDICATIONS = [
  'rapid acting insulin',
  'short acting insulin',
  'intermediate acting insulin',
  'long acting insulin',
  'pre-mixed insulin',
] as const;

const amount = z.number().check(z.nonnegative());

/**
 * Schema of what a Glucose Measurement Context (0x2A34) says about the glucose reading it
 * follows. Every field is optional: a meter sends only what the patient entered, and a value
 * the specification reserves or marks "not available" is left out rather than guessed.
 * Units: grams of carbohydrate, seconds and percent of exercise, milligrams or millilitres of
 * medication, percent HbA1c. Unknown keys are dropped, so a newer agent's additions do not
 * make an older hub refuse the reading.
 */
export const glucoseContextSchema = z.object({
  meal: z.optional(z.enum(GLUCOSE_MEALS)),
  carbohydrate: z.optional(
    z.object({ meal: z.optional(z.enum(CARBOHYDRATE_MEALS)), grams: z.optional(amount) }),
  ),
  tester: z.optional(z.enum(GLUCOSE_TESTERS)),
  health: z.optional(z.enum(GLUCOSE_HEALTH)),
  // [Bluetooth GSS: exercise duration u16 seconds, 0xFFFF = overrun; intensity u8 percent]
  exercise: z.optional(
    z.object({
      durationS: z.int().check(z.gte(0), z.lte(0xffff)),
      intensityPercent: z.int().check(z.gte(0), z.lte(100)),
    }),
  ),
  medication: z.optional(
    z.object({
      kind: z.optional(z.enum(GLUCOSE_MEDICATIONS)),
      mg: z.optional(amount),
      mL: z.optional(amount),
    }),
  ),
  hba1cPercent: z.optional(z.number().check(z.gte(0), z.lte(100))),
});

/** The context of a glucose reading (meal, carbohydrate, tester, health, exercise, …). */
export type GlucoseContext = z.infer<typeof glucoseContextSchema>;
