import type { DriverName } from '@sparkden/device-drivers';
import { VITAL_CODES, VITAL_CODE_KEYS, type VitalCode } from '@sparkden/protocol';

import * as z from '../zod-mini.js';

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
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - only'));

const mqttMappingSchema = z
  .strictObject({
    path: z.string(),
    code: vitalCode,
    unit: z.optional(z.string()),
    scale: z.optional(z.number().check(z.refine((n) => n !== 0, 'must not be 0'))),
    topic: z.optional(z.string()),
  })
  .check(
    z.superRefine((m, ctx) => {
      const units: readonly string[] = VITAL_CODES[m.code].units;
      if (m.unit !== undefined && !units.includes(m.unit)) {
        ctx.addIssue({
          code: 'custom',
          path: ['unit'],
          message: `"${m.unit}" is not a UCUM unit for "${m.code}" (${units.join(', ')})`,
        });
      }
    }),
  );

const name = z.optional(z.string().check(z.maxLength(128)));
const positiveInt = z.int().check(z.positive());

const deviceFieldsSchema = z.strictObject({
  id: idSchema,
  driver: z.enum(DRIVER_NAMES),
  /** The patient reference every reading of this device carries. */
  patient: z.string().check(z.minLength(1), z.maxLength(128)),
  enabled: z._default(z.boolean(), true),
  model: name,
  serialNumber: name,
  /**
   * `live`: every reading is measured as it is sent, so its device time on arrival measures
   * the device clock, and skew is corrected from it. `stored` (default): readings may come
   * from the device's memory (BLE records, an HL7 backlog, a dump) and keep their device
   * time, corrected only by an offset measured otherwise.
   */
  clock: z._default(z.enum(['live', 'stored']), 'stored'),
  path: z.optional(z.string().check(z.minLength(1))),
  baudRate: z.optional(positiveInt),
  minIntervalMs: z.optional(z.int().check(z.nonnegative())),
  reconnect: z.optional(
    z.strictObject({
      minMs: z.optional(positiveInt),
      maxMs: z.optional(positiveInt),
    }),
  ),
  ble: z.optional(
    z.strictObject({
      address: z.optional(z.string().check(z.minLength(1))),
      name: z.optional(z.string().check(z.minLength(1))),
      fetchStored: z.optional(z.boolean()),
    }),
  ),
  mllp: z.optional(
    z.strictObject({
      host: z.optional(z.string()),
      port: z.int().check(z.gte(1), z.lte(65535)),
    }),
  ),
  /**
   * `hl7-mllp`: the patient of each message by its PID-3 identifier
   * (`{ "MRN123": "Patient/abc" }`), for a monitor that serves several beds. A message whose
   * PID-3 is missing or not a key is answered AE and none of its readings are queued.
   * Rules: `patientForSubject` in `schema.ts`.
   */
  patients: z.optional(
    z.record(
      z.string().check(z.minLength(1), z.maxLength(128)),
      z.string().check(z.minLength(1), z.maxLength(128)),
    ),
  ),
  /**
   * `hl7-mllp` without `patients`: file every message under `patient` whatever PID-3 it
   * carries (a monitor wired to one bed). Off by default, so a message that names a patient
   * in PID-3 is refused rather than filed under a `patient` it may not be.
   */
  ignorePid3: z.optional(z.boolean()),
  mqtt: z.optional(
    z.strictObject({
      url: z.string().check(z.regex(/^(mqtts?|wss?):\/\/[^/]+/, 'mqtt(s):// or ws(s):// URL')),
      topic: z.string().check(z.minLength(1)),
      username: z.optional(z.string()),
      password: z.optional(z.string()),
      mapping: z.array(mqttMappingSchema).check(z.minLength(1, 'needs at least one field mapping')),
    }),
  ),
  /** `ndjson-file`: one reading per line, read from a durable cursor (device memory dumps, tests). */
  file: z.optional(
    z.strictObject({
      path: z.string().check(z.minLength(1)),
      ratePerSecond: z._default(z.number().check(z.positive()), 1000),
      follow: z._default(z.boolean(), false),
    }),
  ),
});

type DeviceFields = z.infer<typeof deviceFieldsSchema>;

/**
 * What a driver needs, checked when the config loads rather than when the device opens:
 * its transport block (serial `path`, `ble` address or name, `mllp.port`, `mqtt`, `file`),
 * and no block of another transport.
 */
function checkDriverNeeds(device: DeviceFields, ctx: z.core.$RefinementCtx): void {
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
export const deviceConfigSchema = deviceFieldsSchema.check(z.superRefine(checkDriverNeeds));

/** The devices of a config; ids are unique, as readings, cursors and status key on them. */
export const devicesSchema = z.array(deviceConfigSchema).check(
  z.superRefine((devices, ctx) => {
    const seen = new Set<string>();
    devices.forEach((d, i) => {
      if (seen.has(d.id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate device id "${d.id}"` });
      }
      seen.add(d.id);
    });
  }),
);

/** One device of an agent config, validated. */
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
