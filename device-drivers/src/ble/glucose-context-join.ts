import {
  CARBOHYDRATE_MEALS,
  GLUCOSE_HEALTH,
  GLUCOSE_MEALS,
  GLUCOSE_MEDICATIONS,
  GLUCOSE_TESTERS,
  glucoseContextSchema,
} from '@sparkden/protocol';

import type { GattDecoded } from '../gatt/gatt-result.js';
import { scaleDecimal, type MedicalNumber } from '../gatt/ieee11073.js';
import type { DriverReading, GlucoseContext } from '../types.js';

/** Options of {@link GlucoseContextJoin}. */
export interface GlucoseContextJoinOptions {
  /** Receives each glucose reading, with its context when one came. */
  emit: (reading: DriverReading) => void;
  /** How long a measurement waits for its context before it goes without (default 5000). */
  waitMs?: number;
}

/** A number in the unit asked for, by exponent (`kg` → `g` is +3), or nothing for a special. */
function scaled(n: unknown, shift: number): number | undefined {
  const m = n as MedicalNumber | undefined;

  return m?.ok ? scaleDecimal(m.mantissa, m.exponent + shift) : undefined;
}

/** The entry of a 1-based GSS enumeration, or nothing for 0, reserved and "not available". */
function pick<T extends string>(values: readonly T[], id: unknown): T | undefined {
  return typeof id === 'number' ? values[id - 1] : undefined;
}

/** A decoded name when it is one of the protocol's values (not `reserved (n)`). */
function known<T extends string>(values: readonly T[], name: unknown): T | undefined {
  return values.find((v) => v === name);
}

/**
 * The context fields of a decoded 0x2A34, as the observation's `context` carries them. A
 * reserved or "not available" value is left out, never guessed; so is a special SFLOAT, and
 * a field out of the specification's range (an intensity over 100 %), so that a bad context
 * never costs the glucose value itself.
 */
export function toGlucoseContext(fields: Record<string, unknown>): GlucoseContext {
  const f = fields;
  const context: GlucoseContext = {};
  context.meal = known(GLUCOSE_MEALS, f.meal);
  if (typeof f.carbohydrateId === 'number') {
    const grams = scaled(f.carbohydrateKg, 3);
    context.carbohydrate = { meal: pick(CARBOHYDRATE_MEALS, f.carbohydrateId), grams };
  }
  context.tester = known(GLUCOSE_TESTERS, f.tester);
  context.health = known(GLUCOSE_HEALTH, f.health);
  if (typeof f.exerciseDurationS === 'number' && typeof f.exerciseIntensityPercent === 'number') {
    context.exercise = {
      durationS: f.exerciseDurationS,
      intensityPercent: f.exerciseIntensityPercent,
    };
  }
  if (typeof f.medicationId === 'number') {
    const kind = pick(GLUCOSE_MEDICATIONS, f.medicationId);
    context.medication = { kind, mg: scaled(f.medicationKg, 6), mL: scaled(f.medicationL, 3) };
  }
  context.hba1cPercent = scaled(f.hba1cPercent, 0);
  // Absent fields dropped, so equality and JSON see only what the meter sent.
  const clean = JSON.parse(JSON.stringify(context)) as Record<string, unknown>;
  const checked = glucoseContextSchema.safeParse(clean);
  for (const issue of checked.error?.issues ?? []) {
    delete clean[String(issue.path[0])];
  }

  return glucoseContextSchema.parse(clean);
}

/**
 * Joins a Glucose Measurement (0x2A18) with the Glucose Measurement Context (0x2A34) that
 * follows it. [Bluetooth GLS 1.0, Glucose Measurement Context: when the measurement's flags bit 4
 * says a context follows, the meter sends it next, with the same sequence number.] A measurement without the flag goes
 * out at once; one with it waits for its context, and goes without after `waitMs`, when
 * another measurement comes first, or on {@link GlucoseContextJoin.flush}.
 */
export class GlucoseContextJoin {
  #emit: (reading: DriverReading) => void;
  #waitMs: number;
  #held: { sequence: number; readings: DriverReading[]; timer: NodeJS.Timeout } | undefined;

  constructor(options: GlucoseContextJoinOptions) {
    const waitMs = options.waitMs ?? 5000;
    if (!(waitMs > 0)) {
      throw new TypeError('"waitMs" must be > 0');
    }

    this.#emit = options.emit;
    this.#waitMs = waitMs;
  }

  /** Takes a decoded 0x2A18. */
  measurement(decoded: GattDecoded): void {
    this.flush();
    const sequence = decoded.fields.sequenceNumber;
    if (decoded.fields.contextFollows !== true || typeof sequence !== 'number') {
      decoded.readings.forEach((r) => this.#emit(r));

      return;
    }

    const timer = setTimeout(() => this.flush(), this.#waitMs);
    timer.unref();
    this.#held = { sequence, readings: decoded.readings, timer };
  }

  /**
   * Takes a decoded 0x2A34 and sends the held measurement with it.
   *
   * @returns false when no measurement with its sequence number is waiting.
   */
  context(decoded: GattDecoded): boolean {
    const held = this.#held;
    if (held === undefined || held.sequence !== decoded.fields.sequenceNumber) {
      return false;
    }

    const glucoseContext = toGlucoseContext(decoded.fields);
    this.#release();
    held.readings.forEach((r) => this.#emit({ ...r, glucoseContext }));

    return true;
  }

  /** Sends a waiting measurement without its context (link lost, stop, timeout). */
  flush(): void {
    const held = this.#release();
    held?.readings.forEach((r) => this.#emit(r));
  }

  #release() {
    const held = this.#held;
    clearTimeout(held?.timer);
    this.#held = undefined;

    return held;
  }
}
