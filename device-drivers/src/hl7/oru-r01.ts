import {
  BP_COMPONENTS,
  VITAL_CODES,
  type QualityFlag,
  type VitalCode,
  type VitalCodeInfo,
} from '@sparkden/protocol';

import { parseDecimal } from '../decimal.js';
import { DriverError } from '../errors.js';
import type { DriverReading } from '../types.js';
import { component, field, parseHl7Time, type Hl7Message, type Hl7Segment } from './hl7-message.js';
import { mapObservationCode, mapUnit } from './mdc-map.js';

/** What an ORU^R01 yields: readings, and how many OBX were skipped and why. */
export interface OruResult {
  readings: DriverReading[];
  /** PID-3 (first identifier), when the message names its patient. PHI: never log it. */
  subject?: string;
  skipped: { demo: number; unmapped: number; notNumeric: number };
}

/** [IHE PCD TF-2: OBX-8 measurement status] words that mean the value is not a patient's. */
const DEMO_STATUS = /\b(demo-data|test-data)\b/i;
/** [HL7 v2 OBX-11] result status: W = wrong (withdrawn), D = delete. */
const DROPPED_STATUS = new Set(['W', 'D']);

/**
 * Turns the OBX segments of an ORU^R01 into readings. Numeric OBX (NM) with a known MDC or
 * LOINC code become readings; systolic/diastolic/mean that share an OBR and time become one
 * blood-pressure panel. Demo and test data (MSH-11 `D`/`T`, OBX-8 `demo-data`/`test-data`)
 * are skipped, never passed on as a patient's values.
 *
 * @throws {DriverError} `BAD_VALUE` with the offset of an OBX whose value is not an HL7 NM
 * number (sign, digits, decimal point: no exponent, hex or padding).
 */
export function readOruR01(msg: Hl7Message): OruResult {
  const msh = msg.segments[0];
  const demoMessage = /^[DT]$/.test(component(msg, field(msh, 11), 1));
  const subject = component(
    msg,
    field(
      msg.segments.find((s) => s.id === 'PID'),
      3,
    ),
    1,
  );
  const result: OruResult = {
    readings: [],
    ...(subject ? { subject } : {}),
    skipped: { demo: 0, unmapped: 0, notNumeric: 0 },
  };
  const panels = new Map<string, DriverReading>();
  let obrTime: Date | undefined;
  let obrIndex = 0;

  for (const seg of msg.segments) {
    if (seg.id === 'OBR') {
      obrIndex++;
      obrTime = parseHl7Time(component(msg, field(seg, 7), 1));
      continue;
    }
    if (seg.id !== 'OBX') {
      continue;
    }
    const code = mapObservationCode(
      component(msg, field(seg, 3), 1),
      component(msg, field(seg, 3), 3),
    );
    if (demoMessage || DEMO_STATUS.test(field(seg, 8))) {
      result.skipped.demo++;
      continue;
    }
    if (code === undefined || DROPPED_STATUS.has(field(seg, 11))) {
      result.skipped.unmapped++;
      continue;
    }
    if (field(seg, 2) !== 'NM') {
      result.skipped.notNumeric++;
      continue;
    }
    const time = parseHl7Time(component(msg, field(seg, 14), 1)) ?? obrTime;
    const reading = readObx(msg, seg, code, time, subject);
    if (!(BP_COMPONENTS as readonly string[]).includes(code)) {
      result.readings.push(reading);
      continue;
    }
    const key = `${obrIndex}|${time?.getTime() ?? ''}`;
    const panel = panels.get(key) ?? {
      code: 'bp-panel',
      components: [],
      quality: [],
      ...extras(reading),
    };
    panel.components!.push({
      code: code,
      ...measuredOf(reading),
    });
    panel.quality = [...new Set([...(panel.quality ?? []), ...(reading.quality ?? [])])];
    if (!panels.has(key)) {
      panels.set(key, panel);
      result.readings.push(panel);
    }
  }

  return result;
}

function readObx(
  msg: Hl7Message,
  seg: Hl7Segment,
  code: VitalCode,
  time: Date | undefined,
  subject: string,
): DriverReading {
  const raw = field(seg, 5);
  // [HL7 v2 NM] strictly: `0x61`, `1e2` or ` 96` are not numbers a monitor may send.
  const value = parseDecimal(raw);
  const status = field(seg, 8);
  const quality: QualityFlag[] = /\bquestionable\b/i.test(status) ? ['questionable'] : [];
  const preliminary =
    field(seg, 11) === 'P' ||
    /\b(calibration-ongoing|early-indication|msmt-ongoing)\b/i.test(status);
  const absent =
    field(seg, 11) === 'X' || /\b(invalid|not-available)\b/i.test(status) || raw === '';
  const base: DriverReading = {
    code,
    quality,
    status: field(seg, 11) === 'C' ? 'amended' : preliminary ? 'preliminary' : 'final',
    ...(time ? { deviceTime: time } : {}),
    ...(subject ? { subject } : {}),
  };
  if (absent) {
    return { ...base, dataAbsentReason: /\binvalid\b/i.test(status) ? 'error' : 'unknown' };
  }
  if (value === undefined) {
    throw new DriverError('BAD_VALUE', `OBX-5 "${raw.slice(0, 16)}" is not a number`, {
      offset: seg.offset,
    });
  }
  const unit = unitOf(msg, seg, code);

  return { ...base, value, unit };
}

/**
 * The UCUM unit of an OBX: mapped from OBX-6, and accepted for the vital; an empty OBX-6 is
 * taken as the vital's unit only when it has a single one (SpO2 is always %). Anything else
 * is refused: a number in an unknown unit is not passed on.
 */
function unitOf(msg: Hl7Message, seg: Hl7Segment, code: VitalCode): string {
  const info: VitalCodeInfo = VITAL_CODES[code];
  const given = field(seg, 6);
  const unit =
    given === '' && info.units.length === 1
      ? info.unit
      : mapUnit(component(msg, given, 1), component(msg, given, 2));
  if (unit === undefined || !info.units.includes(unit)) {
    const what = given === '' ? 'missing' : `"${given.slice(0, 24)}" not accepted`;
    throw new DriverError('BAD_VALUE', `OBX-6 unit ${what} for ${code}`, { offset: seg.offset });
  }

  return unit;
}

function measuredOf(r: DriverReading) {
  return r.value === undefined
    ? { dataAbsentReason: r.dataAbsentReason }
    : { value: r.value, unit: r.unit };
}

function extras(r: DriverReading): Partial<DriverReading> {
  return {
    status: r.status,
    ...(r.deviceTime ? { deviceTime: r.deviceTime } : {}),
    ...(r.subject ? { subject: r.subject } : {}),
  };
}
