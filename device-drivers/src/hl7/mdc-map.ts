import { findCodeByLoinc, findCodeByMdc, type VitalCode } from '@sparkden/protocol';

/**
 * MDC observation codes bedside monitors send in OBX-3, beyond those `@sparkden/protocol`
 * lists, mapped to Spark Den vital codes. [IEEE 11073-10101 nomenclature]
 */
const MDC_ALIASES: ReadonlyMap<number, VitalCode> = new Map([
  [147842, 'heart-rate'], // MDC_ECG_HEART_RATE
  [149530, 'heart-rate'], // MDC_PULS_OXIM_PULS_RATE
  [149546, 'heart-rate'], // MDC_PULS_RATE_NON_INV
  [150344, 'body-temp'], // MDC_TEMP
  [151594, 'resp-rate'], // MDC_TTHOR_RESP_RATE (impedance)
]);

/**
 * MDC units (OBX-6) to UCUM. [IEEE 11073-10101 dimensions, partition 4] Keyed by the numeric
 * code and by the reference id, since monitors send either or both.
 */
const MDC_UNITS: ReadonlyMap<string, string> = new Map([
  ['262688', '%'],
  ['MDC_DIM_PERCENT', '%'],
  ['264864', '/min'],
  ['MDC_DIM_BEAT_PER_MIN', '/min'],
  ['264928', '/min'],
  ['MDC_DIM_RESP_PER_MIN', '/min'],
  ['266016', 'mm[Hg]'],
  ['MDC_DIM_MMHG', 'mm[Hg]'],
  ['MDC_DIM_KILO_PA', 'kPa'],
  ['268192', 'Cel'],
  ['MDC_DIM_DEGC', 'Cel'],
  ['MDC_DIM_FAHR', '[degF]'],
  ['263875', 'kg'],
  ['MDC_DIM_KILO_G', 'kg'],
  ['MDC_DIM_LB', '[lb_av]'],
  ['MDC_DIM_MILLI_G_PER_DL', 'mg/dL'],
  ['MDC_DIM_MILLI_MOLE_PER_L', 'mmol/L'],
]);

/** Unit spellings seen in the wild that are not UCUM, mapped to UCUM. */
const LOOSE_UNITS: ReadonlyMap<string, string> = new Map([
  ['bpm', '/min'],
  ['mmhg', 'mm[Hg]'],
  ['degc', 'Cel'],
  ['°c', 'Cel'],
  ['degf', '[degF]'],
  ['°f', '[degF]'],
  ['lb', '[lb_av]'],
  ['rpm', '/min'],
  ['brpm', '/min'],
]);

/** The vital for an OBX-3 code in the given coding system (`MDC`, `LN`), if known. */
export function mapObservationCode(code: string, system: string): VitalCode | undefined {
  if (system === 'LN' || /^\d+-\d$/.test(code)) {
    return findCodeByLoinc(code);
  }
  const mdc = Number(code);
  if (!Number.isInteger(mdc)) {
    return undefined;
  }

  return findCodeByMdc(mdc) ?? MDC_ALIASES.get(mdc);
}

/** A UCUM unit for an OBX-6 unit (identifier, text), or `undefined` if unknown. */
export function mapUnit(identifier: string, text: string): string | undefined {
  for (const candidate of [identifier, text]) {
    const ucum = MDC_UNITS.get(candidate) ?? LOOSE_UNITS.get(candidate.toLowerCase());
    if (ucum) {
      return ucum;
    }
  }

  // A UCUM code sent as is ('%', 'mm[Hg]', 'Cel', 'kg'); the caller checks it fits the vital.
  return identifier === '' ? undefined : identifier;
}
