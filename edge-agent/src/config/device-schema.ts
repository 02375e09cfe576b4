import type { DriverName } from '@sparkden/device-drivers';
import { VITAL_CODES, VITAL_CODE_KEYS, type VitalCode } from '@sparkden/protocol';
import { z } from 'zod';

/** Drivers the agent itself provides beside those of `@sparkden/device-drivers`. */
export const AGENT_DRIVERS = ['ndjson-file'] as const;

/** The option block (or, for serial ports, the field) each driver cannot start without. */
type TransportField = 'path' | 'ble' | 'mllp' | 'mqtt' | 'file';

// Typed against the drivers package, so a driver added there and not here fails to compile;
// kept as a table here, so loading a config does not load the drivers.
const NEEDS = {
  'contec-cms50d': 'path',
  'contec-cms50d-v46': 'path',
  'nonin-format2': 'path',
  'ble-gatt': 'ble',
  'hl7-mllp': 'mllp',
  'mqtt-json': 'mqtt',
  'ndjson-file': 'file',
} as const satisfies Record<DriverName | (typeof AGENT_DRIVERS)[number], TransportField>;

/** Every driver a device may name. */
export const DRIVER_NAMES = Object.keys(NEEDS) as [keyof typeof NEEDS, ...(keyof typeof NEEDS)[]];

/** The fields that belong to one transport; a device of another driver must not set them. */
const TRANSPORT_FIELDS: Record<TransportField, readonly string[]> = {
  path: ['path', 'baudRate'],
  ble: ['ble'],
  mllp: ['mllp', 'patients', 'ignorePid3'],
  mqtt: ['mqtt'],
  file: ['file'],
};

const vitalCode = z.enum(VITAL_CODE_KEYS as [VitalCode, ...VitalCode[]]);

/** A device or rule id. */
export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - only');

const mqttMappingSchema = z
  .strictObject({
    path: z.string(),
    code: vitalCode,
    unit: z.string().optional(),
    scale: z
      .number()
      .finite()
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    topic: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    const units: readonly string[] = VITAL_CODES[m.code].units;
    if (m.unit !== undefined && !units.includes(m.unit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['unit'],
        message: `"${m.unit}" is not a UCUM unit for "${m.code}" (${units.join(', ')})`,
      });
    }
  });

const deviceFieldsSchema = z.strictObject({
  id: idSchema,
  driver: z.enum(DRIVER_NAMES),
  /** The patient reference every reading of this device carries. */
  patient: z.string().min(1).max(128),
  enabled: z.boolean().default(true),
  model: z.string().max(128).optional(),
  serialNumber: z.string().max(128).optional(),
  /**
   * `live`: every reading is measured as it is sent, so its device time on arrival measures
   * the device clock, and skew is corrected from it. `stored` (default): readings may come
   * from the device's memory (BLE records, an HL7 backlog, a dump) and keep their device
   * time, corrected only by an offset measured otherwise.
   */
  clock: z.enum(['live', 'stored']).default('stored'),
  path: z.string().min(1).optional(),
  baudRate: z.number().int().positive().optional(),
  minIntervalMs: z.number().int().nonnegative().optional(),
  reconnect: z
    .strictObject({
      minMs: z.number().int().positive().optional(),
      maxMs: z.number().int().positive().optional(),
    })
    .optional(),
  ble: z
    .strictObject({
      address: z.string().min(1).optional(),
      name: z.string().min(1).optional(),
      fetchStored: z.boolean().optional(),
    })
    .optional(),
  mllp: z
    .strictObject({ host: z.string().optional(), port: z.number().int().min(1).max(65535) })
    .optional(),
  /**
   * `hl7-mllp`: the patient of each message by its PID-3 identifier
   * (`{ "MRN123": "Patient/abc" }`), for a monitor that serves several beds. A message whose
   * PID-3 is missing or not a key is answered AE and none of its readings are queued.
   * Rules: `patientForSubject` in `schema.ts`.
   */
  patients: z.record(z.string().min(1).max(128), z.string().min(1).max(128)).optional(),
  /**
   * `hl7-mllp` without `patients`: file every message under `patient` whatever PID-3 it
   * carries (a monitor wired to one bed). Off by default, so a message that names a patient
   * in PID-3 is refused rather than filed under a `patient` it may not be.
   */
  ignorePid3: z.boolean().optional(),
  mqtt: z
    .strictObject({
      url: z.string().regex(/^(mqtts?|wss?):\/\/[^/]+/, 'mqtt(s):// or ws(s):// URL'),
      topic: z.string().min(1),
      username: z.string().optional(),
      password: z.string().optional(),
      mapping: z.array(mqttMappingSchema).min(1, 'needs at least one field mapping'),
    })
    .optional(),
  /** `ndjson-file`: one reading per line, read from a durable cursor (device memory dumps, tests). */
  file: z
    .strictObject({
      path: z.string().min(1),
      ratePerSecond: z.number().positive().default(1000),
      follow: z.boolean().default(false),
    })
    .optional(),
});

type DeviceFields = z.infer<typeof deviceFieldsSchema>;

/**
 * What a driver needs, checked when the config loads rather than when the device opens:
 * its transport block (serial `path`, `ble` address or name, `mllp.port`, `mqtt`, `file`),
 * and no block of another transport.
 */
function checkDriverNeeds(device: DeviceFields, ctx: z.RefinementCtx): void {
  const need = NEEDS[device.driver];
  const has = (field: string) => (device as Record<string, unknown>)[field] !== undefined;
  if (!has(need)) {
    const what = need === 'path' ? 'the serial port' : `a "${need}" block`;
    ctx.addIssue({
      code: 'custom',
      path: [need],
      message: `driver ${device.driver} needs ${what}`,
    });
  }
  if (device.ble !== undefined && !device.ble.address && !device.ble.name) {
    ctx.addIssue({ code: 'custom', path: ['ble'], message: 'needs "address" or "name"' });
  }
  for (const [transport, fields] of Object.entries(TRANSPORT_FIELDS)) {
    if (transport === need) {
      continue;
    }
    for (const field of fields.filter(has)) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `not used by driver ${device.driver}`,
      });
    }
  }
}

/** One device: its driver, transport options and the patient it is bound to. */
export const deviceConfigSchema = deviceFieldsSchema.superRefine(checkDriverNeeds);

/** The devices of a config; ids are unique, as readings, cursors and status key on them. */
export const devicesSchema = z.array(deviceConfigSchema).superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.id)) {
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id "${d.id}"` });
    }
    seen.add(d.id);
  });
});

/** One device of an agent config, validated. */
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
