/**
 * The vital-sign codes Spark Den understands, with their LOINC code, UCUM unit and, where
 * one exists, the IEEE 11073-10101 MDC code (the numeric "partition << 16 | term" form).
 *
 * @example
 * ```ts
 * VITAL_CODES['spo2'].loinc; // '2708-6'
 * ```
 */
export const VITAL_CODES = {
  'heart-rate': {
    loinc: '8867-4',
    display: 'Heart rate',
    unit: '/min',
    units: ['/min'],
    // [IEEE 11073-10101: MDC_PULS_RATE_NON_INV]
    mdc: 149546,
  },
  spo2: {
    loinc: '2708-6',
    // 59408-5 is the pulse-oximetry specific code the FHIR vital-signs profile adds beside it.
    altLoinc: '59408-5',
    display: 'Oxygen saturation in Arterial blood',
    unit: '%',
    units: ['%'],
    // [IEEE 11073-10101: MDC_PULS_OXIM_SAT_O2]
    mdc: 150456,
  },
  'bp-panel': {
    loinc: '85354-9',
    display: 'Blood pressure panel with all children optional',
    unit: 'mm[Hg]',
    units: ['mm[Hg]', 'kPa'],
    // [IEEE 11073-10101: MDC_PRESS_BLD_NONINV]
    mdc: 150020,
  },
  'bp-systolic': {
    loinc: '8480-6',
    display: 'Systolic blood pressure',
    unit: 'mm[Hg]',
    units: ['mm[Hg]', 'kPa'],
    mdc: 150021,
  },
  'bp-diastolic': {
    loinc: '8462-4',
    display: 'Diastolic blood pressure',
    unit: 'mm[Hg]',
    units: ['mm[Hg]', 'kPa'],
    mdc: 150022,
  },
  'bp-mean': {
    loinc: '8478-0',
    display: 'Mean blood pressure',
    unit: 'mm[Hg]',
    units: ['mm[Hg]', 'kPa'],
    mdc: 150023,
  },
  'body-temp': {
    loinc: '8310-5',
    display: 'Body temperature',
    unit: 'Cel',
    units: ['Cel', '[degF]'],
    // [IEEE 11073-10101: MDC_TEMP_BODY]
    mdc: 150364,
  },
  'body-weight': {
    loinc: '29463-7',
    display: 'Body weight',
    unit: 'kg',
    units: ['kg', '[lb_av]'],
    // [IEEE 11073-10101: MDC_MASS_BODY_ACTUAL]
    mdc: 188736,
  },
  glucose: {
    loinc: '2339-0',
    display: 'Glucose [Mass/volume] in Blood',
    unit: 'mg/dL',
    units: ['mg/dL', 'mmol/L'],
    // [LOINC: the property is part of the code] 2339-0 is mass/volume (mg/dL); a molar
    // concentration is 15074-8, Glucose [Moles/volume] in Blood.
    loincByUnit: {
      'mmol/L': { loinc: '15074-8', display: 'Glucose [Moles/volume] in Blood' },
    },
    // [IEEE 11073-10101: MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, 2::29112]
    mdc: 160184,
  },
  'resp-rate': {
    loinc: '9279-1',
    display: 'Respiratory rate',
    unit: '/min',
    units: ['/min'],
    // [IEEE 11073-10101: MDC_RESP_RATE]
    mdc: 151562,
  },
} as const satisfies Record<string, VitalCodeInfo>;

/** What is known about one vital-sign code. */
export interface VitalCodeInfo {
  loinc: string;
  altLoinc?: string;
  display: string;
  /** The preferred UCUM unit. */
  unit: string;
  /** Every UCUM unit accepted for this code. */
  units: readonly string[];
  /**
   * The LOINC code (and display) to use instead of `loinc` for a value in this unit, when
   * LOINC names the unit's property (molar vs mass concentration) in the code itself.
   */
  loincByUnit?: Readonly<Record<string, { loinc: string; display: string }>>;
  mdc?: number;
}

/** A key of {@link VITAL_CODES}: `'spo2'`, `'bp-panel'`, … */
export type VitalCode = keyof typeof VITAL_CODES;

/** The keys of {@link VITAL_CODES}, in declaration order. */
export const VITAL_CODE_KEYS = Object.keys(VITAL_CODES) as VitalCode[];

/** The blood-pressure component codes a `bp-panel` observation may carry. */
export const BP_COMPONENTS = ['bp-systolic', 'bp-diastolic', 'bp-mean'] as const;

/**
 * The LOINC code and display of a vital in a unit: the unit's own code where LOINC has one
 * (glucose in mmol/L is 15074-8), else the vital's primary code.
 *
 * @example
 * ```ts
 * loincFor('glucose', 'mmol/L').loinc; // '15074-8'
 * ```
 */
export function loincFor(code: VitalCode, unit?: string): { loinc: string; display: string } {
  const info: VitalCodeInfo = VITAL_CODES[code];
  const byUnit = unit === undefined ? undefined : info.loincByUnit?.[unit];

  return byUnit ?? { loinc: info.loinc, display: info.display };
}

/** Every LOINC code a vital may go out under: primary, alternative and per-unit codes. */
export function loincsOf(code: VitalCode): string[] {
  const info: VitalCodeInfo = VITAL_CODES[code];
  const byUnit = Object.values(info.loincByUnit ?? {}).map((l) => l.loinc);

  return [info.loinc, ...(info.altLoinc ? [info.altLoinc] : []), ...byUnit];
}

/** Finds the vital code for a LOINC code (primary, alternative or per-unit), if known. */
export function findCodeByLoinc(loinc: string): VitalCode | undefined {
  return VITAL_CODE_KEYS.find((key) => loincsOf(key).includes(loinc));
}

/** Finds the vital code for an IEEE 11073 MDC code, if Spark Den knows it. */
export function findCodeByMdc(mdc: number): VitalCode | undefined {
  return VITAL_CODE_KEYS.find((key) => (VITAL_CODES[key] as VitalCodeInfo).mdc === mdc);
}

/**
 * The FHIR R4 `data-absent-reason` codes a device reading may carry instead of a value.
 * [FHIR R4 CodeSystem data-absent-reason]
 */
export const DATA_ABSENT_REASONS = [
  'unknown',
  'temp-unknown',
  'not-asked',
  'masked',
  'unsupported',
  'error',
  'not-a-number',
  'negative-infinity',
  'positive-infinity',
  'not-performed',
  'not-permitted',
] as const;

export type DataAbsentReason = (typeof DATA_ABSENT_REASONS)[number];

/** Quality flags a device or driver may attach to a reading. */
export const QUALITY_FLAGS = [
  'finger-out',
  'probe-off',
  'searching',
  'low-perfusion',
  'motion',
  'cuff-loose',
  'irregular-pulse',
  'body-movement',
  'improper-position',
  'pulse-out-of-range',
  'questionable',
  'sensor-fault',
  'low-battery',
  'demo',
  'skew-corrected',
  'clock-unreliable',
] as const;

export type QualityFlag = (typeof QUALITY_FLAGS)[number];

/** How a reading reached the agent. */
export const TRANSPORTS = ['serial', 'ble', 'mqtt', 'hl7', 'manual', 'simulated'] as const;

export type Transport = (typeof TRANSPORTS)[number];
