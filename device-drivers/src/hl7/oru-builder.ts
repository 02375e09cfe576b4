import type { SimulatedVitals } from '../sim/scenarios.js';
import { formatHl7Time } from './hl7-ack.js';

/** Options of {@link buildOruR01}. */
export interface OruBuildOptions {
  controlId: string;
  time: Date;
  /** Synthetic bed/patient id put in PID-3 (never a real person). */
  patientId?: string;
  /** Mark every OBX as demo data (IHE PCD OBX-8 `demo-data`). */
  demo?: boolean;
  /** Override OBX-5 of the SpO2 result (to make a malformed message). */
  spo2Text?: string;
}

function obx(
  n: number,
  code: string,
  value: string,
  unit: string,
  status: string,
  ts: string,
): string {
  return `OBX|${n}|NM|${code}|1.1.1.${n}|${value}|${unit}||${status}|||R|||${ts}`;
}

/**
 * Builds an ORU^R01 the way an IHE PCD-01 bedside monitor sends it: MDC codes in OBX-3,
 * MDC units in OBX-6, measurement status in OBX-8, observation time in OBX-14.
 *
 * @example
 * ```ts
 * buildOruR01(vitalsAt('normal', 0), { controlId: 'MSG1', time: new Date() });
 * ```
 */
export function buildOruR01(v: SimulatedVitals, o: OruBuildOptions): string {
  const ts = formatHl7Time(o.time);
  const demo = o.demo ? 'demo-data' : '';
  const oxStatus = v.fingerOut ? 'not-available' : demo;
  const bpStatus = v.cuffLoose ? 'questionable' : demo;
  const spo2 = v.fingerOut ? '' : (o.spo2Text ?? String(v.spo2));
  const pulse = v.fingerOut ? '' : String(v.pulseRate);
  const header =
    `MSH|^~\\&|SIM-MONITOR^0012345678ABCDEF^EUI-64|SIM-ICU|SPARKDEN|HUB|${ts}||ORU^R01^ORU_R01|` +
    `${o.controlId}|P|2.6|||AL|NE||UNICODE UTF-8`;

  return [
    header,
    `PID|||${o.patientId ?? 'SIM-BED-4'}^^^SIM^MR||SIMULATED^PATIENT`,
    'PV1||I|ICU^^BED4',
    `OBR|1|||182777000^monitoring of patient^SCT|||${ts}`,
    obx(1, '150456^MDC_PULS_OXIM_SAT_O2^MDC', spo2, '262688^MDC_DIM_PERCENT^MDC', oxStatus, ts),
    obx(
      2,
      '149530^MDC_PULS_OXIM_PULS_RATE^MDC',
      pulse,
      '264864^MDC_DIM_BEAT_PER_MIN^MDC',
      oxStatus,
      ts,
    ),
    obx(
      3,
      '150021^MDC_PRESS_BLD_NONINV_SYS^MDC',
      String(v.systolic),
      '266016^MDC_DIM_MMHG^MDC',
      bpStatus,
      ts,
    ),
    obx(
      4,
      '150022^MDC_PRESS_BLD_NONINV_DIA^MDC',
      String(v.diastolic),
      '266016^MDC_DIM_MMHG^MDC',
      bpStatus,
      ts,
    ),
    obx(
      5,
      '150364^MDC_TEMP_BODY^MDC',
      v.temperature.toFixed(1),
      '268192^MDC_DIM_DEGC^MDC',
      demo,
      ts,
    ),
    obx(
      6,
      '151562^MDC_RESP_RATE^MDC',
      String(v.respRate),
      '264928^MDC_DIM_RESP_PER_MIN^MDC',
      demo,
      ts,
    ),
  ].join('\r');
}
