import type { Point } from '../model/series.js';
import { VITALS, findVital } from '../model/vitals.js';
import { searchFhir, type FhirResource } from './fhir.js';
import { requestJson } from './http.js';

/** A FHIR vital-signs Observation, reduced to what the app reads. */
export interface ObservationResource extends FhirResource {
  resourceType: 'Observation';
  code?: { coding?: Array<{ system?: string; code?: string }> };
  valueQuantity?: { value?: number; unit?: string };
  component?: Array<{
    code?: { coding?: Array<{ code?: string }> };
    valueQuantity?: { value?: number };
  }>;
  effectiveDateTime?: string;
  device?: { reference?: string; display?: string; identifier?: { value?: string } };
  dataAbsentReason?: unknown;
}

/** The latest reading of one vital. */
export interface LatestReading {
  code: string;
  value: number;
  at: string;
  deviceId?: string;
}

/** A device seen in a patient's readings, and when it last reported. */
export interface DeviceSeen {
  deviceId: string;
  model?: string;
  lastAt: string;
}

/** The devices behind a set of observations, most recently heard first. */
export function devicesSeen(observations: readonly ObservationResource[]): DeviceSeen[] {
  const seen = new Map<string, DeviceSeen>();
  for (const o of observations) {
    const deviceId = deviceIdOf(o);
    const at = o.effectiveDateTime;
    if (!deviceId || !at) {
      continue;
    }
    const known = seen.get(deviceId);
    if (!known || Date.parse(known.lastAt) < Date.parse(at)) {
      seen.set(deviceId, { deviceId, model: o.device?.display, lastAt: at });
    }
  }

  return [...seen.values()].sort((a, b) => Date.parse(b.lastAt) - Date.parse(a.lastAt));
}

function loincOf(o: { code?: { coding?: Array<{ code?: string }> } }): string | undefined {
  return o.code?.coding?.find((c) => findVital(c.code ?? ''))?.code;
}

function deviceIdOf(o: ObservationResource): string | undefined {
  const d = o.device;

  return d?.identifier?.value ?? d?.reference?.replace(/^Device\//, '') ?? d?.display;
}

/** Flattens observations (blood-pressure panels into their components) into chart points by vital code. */
export function toPoints(observations: readonly ObservationResource[]): Map<string, Point[]> {
  const byCode = new Map<string, Point[]>();
  const add = (loinc: string | undefined, value: number | undefined, o: ObservationResource) => {
    const info = loinc ? findVital(loinc) : undefined;
    const at = o.effectiveDateTime ? Date.parse(o.effectiveDateTime) : NaN;
    if (!info || value === undefined || Number.isNaN(at)) {
      return;
    }
    const list = byCode.get(info.code) ?? [];
    list.push({ at, value, deviceId: deviceIdOf(o) });
    byCode.set(info.code, list);
  };

  for (const o of observations) {
    add(loincOf(o), o.valueQuantity?.value, o);
    for (const c of o.component ?? []) {
      add(loincOf(c), c.valueQuantity?.value, o);
    }
  }

  return byCode;
}

/**
 * A patient's readings of one vital since `from`, oldest first.
 *
 * @example
 * ```ts
 * const obs = await fetchObservations('p-1', 'spo2', Date.now() - 3_600_000);
 * ```
 */
export function fetchObservations(
  patientId: string,
  code: string,
  from: number,
): Promise<ObservationResource[]> {
  const info = findVital(code);
  // Systolic pressure comes in a blood-pressure panel (cuffs) or on its own (monitors).
  const loincs = info?.code === 'bp-systolic' ? ['85354-9', info.loinc] : [info?.loinc ?? code];

  return searchFhir<ObservationResource>(
    'Observation',
    {
      patient: patientId,
      code: loincs.map((l) => `http://loinc.org|${l}`).join(','),
      date: `ge${new Date(from).toISOString()}`,
      _sort: 'date',
      _count: '1000',
    },
    10,
  );
}

/** The latest reading of each vital for a patient (`Observation/$lastn`), and the devices behind them. */
export async function fetchLatest(
  patientId: string,
): Promise<{ readings: LatestReading[]; devices: DeviceSeen[] }> {
  const query = new URLSearchParams({ patient: patientId, category: 'vital-signs', max: '1' });
  const observations = await requestJson<{ entry?: Array<{ resource?: ObservationResource }> }>(
    `/fhir/Observation/$lastn?${query.toString()}`,
    { headers: { accept: 'application/fhir+json' } },
  ).then(
    (bundle) => (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])),
    // A hub without a working $lastn still answers a plain search, newest first.
    () =>
      searchFhir<ObservationResource>(
        'Observation',
        { patient: patientId, category: 'vital-signs', _sort: '-date', _count: '500' },
        1,
      ),
  );
  const latest: LatestReading[] = [];
  for (const [code, points] of toPoints(observations)) {
    const last = points.reduce((a, b) => (b.at > a.at ? b : a));
    latest.push({
      code,
      value: last.value,
      at: new Date(last.at).toISOString(),
      deviceId: last.deviceId,
    });
  }

  const order = (code: string) => VITALS.findIndex((v) => v.code === code);
  latest.sort((a, b) => order(a.code) - order(b.code));

  return { readings: latest, devices: devicesSeen(observations) };
}
