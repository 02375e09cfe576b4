import { z } from 'zod';

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

const amount = z.number().finite().nonnegative();

/**
 * Schema of what a Glucose Measurement Context (0x2A34) says about the glucose reading it
 * follows. Every field is optional: a meter sends only what the patient entered, and a value
 * the specification reserves or marks "not available" is left out rather than guessed.
 * Units: grams of carbohydrate, seconds and percent of exercise, milligrams or millilitres of
 * medication, percent HbA1c. Unknown keys are dropped, so a newer agent's additions do not
 * make an older hub refuse the reading.
 */
export const glucoseContextSchema = z.object({
  meal: z.enum(GLUCOSE_MEALS).optional(),
  carbohydrate: z
    .object({ meal: z.enum(CARBOHYDRATE_MEALS).optional(), grams: amount.optional() })
    .optional(),
  tester: z.enum(GLUCOSE_TESTERS).optional(),
  health: z.enum(GLUCOSE_HEALTH).optional(),
  // [Bluetooth GSS: exercise duration u16 seconds, 0xFFFF = overrun; intensity u8 percent]
  exercise: z
    .object({
      durationS: z.number().int().min(0).max(0xffff),
      intensityPercent: z.number().int().min(0).max(100),
    })
    .optional(),
  medication: z
    .object({
      kind: z.enum(GLUCOSE_MEDICATIONS).optional(),
      mg: amount.optional(),
      mL: amount.optional(),
    })
    .optional(),
  hba1cPercent: z.number().finite().min(0).max(100).optional(),
});

/** The context of a glucose reading (meal, carbohydrate, tester, health, exercise, …). */
export type GlucoseContext = z.infer<typeof glucoseContextSchema>;
