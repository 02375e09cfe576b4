import type { GattDecoded } from '../gatt/gatt-result.js';
import { scaleDecimal, type MedicalNumber } from '../gatt/ieee11073.js';
import type { DriverReading, GlucoseContext } from '../types.js';

/** [GSS: Glucose Measurement Context, Carbohydrate ID] */
const CARBOHYDRATES: Record<number, string> = {
  1: 'breakfast',
  2: 'lunch',
  3: 'dinner',
  4: 'snack',
  5: 'drink',
  6: 'supper',
  7: 'brunch',
};
/** [GSS: Glucose Measurement Context, Medication ID] */
const MEDICATIONS: Record<number, string> = {
  1: 'rapid acting insulin',
  2: 'short acting insulin',
  3: 'intermediate acting insulin',
  4: 'long acting insulin',
  5: 'pre-mixed insulin',
};

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

/** The context fields of a decoded 0x2A34, as a reading carries them. */
export function toGlucoseContext(fields: Record<string, unknown>): GlucoseContext {
  const f = fields;
  const context: GlucoseContext = {};
  if (typeof f.meal === 'string') {
    context.meal = f.meal;
  }
  if (typeof f.carbohydrateId === 'number') {
    const grams = scaled(f.carbohydrateKg, 3);
    const meal = CARBOHYDRATES[f.carbohydrateId] ?? `reserved (${f.carbohydrateId})`;
    context.carbohydrate = { meal, ...(grams === undefined ? {} : { grams }) };
  }
  if (typeof f.tester === 'string' && typeof f.health === 'string') {
    context.tester = f.tester;
    context.health = f.health;
  }
  if (typeof f.exerciseDurationS === 'number' && typeof f.exerciseIntensityPercent === 'number') {
    context.exercise = {
      durationS: f.exerciseDurationS,
      intensityPercent: f.exerciseIntensityPercent,
    };
  }
  if (typeof f.medicationId === 'number') {
    const kind = MEDICATIONS[f.medicationId] ?? `reserved (${f.medicationId})`;
    const mg = scaled(f.medicationKg, 6);
    const mL = scaled(f.medicationL, 3);
    context.medication = {
      kind,
      ...(mg === undefined ? {} : { mg }),
      ...(mL === undefined ? {} : { mL }),
    };
  }
  const hba1c = scaled(f.hba1cPercent, 0);
  if (hba1c !== undefined) {
    context.hba1cPercent = hba1c;
  }

  return context;
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
