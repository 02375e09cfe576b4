import { LOCAL_ALARM_CODES } from '../alarms/alarm-values.js';
import { isLoopbackHost } from '../loopback.js';
import * as z from '../zod-mini.js';
import { devicesSchema, idSchema, type DeviceConfig } from './device-schema.js';

export {
  AGENT_DRIVERS,
  DRIVER_NAMES,
  deviceConfigSchema,
  type DeviceConfig,
} from './device-schema.js';

const positiveInt = z.int().check(z.positive());

const backoff = z.strictObject({
  minMs: z._default(positiveInt, 500),
  maxMs: z._default(positiveInt, 60_000),
});

const alarmCode = z.enum(LOCAL_ALARM_CODES, {
  error: () =>
    `local alarms evaluate ${LOCAL_ALARM_CODES.join(', ')} (a blood-pressure panel by its components)`,
});

/**
 * Who a reading of `device` is about, given the PID-3 identifier its HL7 message carried
 * (`subject`; other drivers send none). The safe default never files a reading under a
 * patient the device did not name:
 *
 * - with a `patients` map: the mapped patient; a missing or unmapped PID-3 is refused;
 * - without one: `patient` when the message carries no PID-3 (a single-patient device), or
 *   when `ignorePid3` is set; a message that names a patient in PID-3 is refused otherwise.
 *   (`ignorePid3` has no effect beside a map: the map is the stricter rule.)
 *
 * The reason is safe to send back in an ACK: it never contains the identifier.
 *
 * @example
 * ```ts
 * patientForSubject({ patient: 'p-1', patients: { MRN1: 'p-2' } }, 'MRN1'); // { patient: 'p-2' }
 * ```
 */
export function patientForSubject(
  device: Pick<DeviceConfig, 'patient' | 'patients' | 'ignorePid3'>,
  subject: string | undefined,
): { patient: string } | { reason: string } {
  const map = device.patients;
  if (map !== undefined) {
    if (subject === undefined) {
      return { reason: 'PID-3 missing: this device files messages by their PID-3' };
    }

    return Object.hasOwn(map, subject)
      ? { patient: map[subject] }
      : { reason: 'PID-3 is not in the patient map of this device' };
  }

  return subject === undefined || device.ignorePid3 === true
    ? { patient: device.patient }
    : { reason: 'PID-3 given but this device has no patient map' };
}

/** A threshold evaluated on the box, so urgent values raise an alarm while the hub is away. */
export const alarmRuleSchema = z
  .strictObject({
    /** A stable alarm code sent to the hub: `SPO2_LOW`. */
    name: z.string().check(z.regex(/^[A-Z0-9_]{1,64}$/, 'upper-case letters, digits and _')),
    /** The vital compared; thresholds are in its preferred UCUM unit (mm[Hg], Cel, kg, mg/dL). */
    code: alarmCode,
    below: z.optional(z.number()),
    above: z.optional(z.number()),
    /** The breach must last this long before the alarm is raised (0: at once). */
    forSeconds: z._default(z.number().check(z.nonnegative()), 0),
    severity: z._default(z.enum(['warning', 'urgent']), 'urgent'),
    /** Limit to some devices (default all). */
    devices: z.optional(z.array(idSchema)),
  })
  .check(
    z.refine((r) => r.below !== undefined || r.above !== undefined, {
      message: 'needs "below" or "above"',
      path: ['below'],
    }),
  );

/** What the agent does when the queue passes its bounds. Alarms are never dropped. */
export const OVERFLOW_POLICIES = ['drop-oldest', 'drop-newest'] as const;

/** The whole agent config file. */
export const agentConfigSchema = z.strictObject({
  stateDir: z.string().check(z.minLength(1)),
  logLevel: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']), 'info'),
  hub: z._default(
    z.strictObject({
      /** The hub's HTTPS base URL, for enrollment (`http://` only on loopback). */
      url: z.optional(
        z.url().check(
          z.refine((u) => {
            const { protocol, hostname } = new URL(u);

            return protocol === 'https:' || (protocol === 'http:' && isLoopbackHost(hostname));
          }, 'must be https:// (http:// only to loopback, for development)'),
        ),
      ),
      /** Overrides the broker URL the hub gave at enrollment (`mqtt://` only on loopback). */
      mqttUrl: z.optional(
        z.string().check(z.regex(/^mqtts?:\/\/[^/]+$/, 'mqtt://host:port or mqtts://host:port')),
      ),
    }),
    {},
  ),
  queue: z._default(
    z.strictObject({
      /** Sealed bytes kept at most; past it the overflow policy applies. */
      maxBytes: z._default(positiveInt, 256 * 1024 * 1024),
      /** Readings older than this are dropped (alarms are kept). */
      maxAgeHours: z._default(z.number().check(z.positive()), 24 * 7),
      overflow: z._default(z.enum(OVERFLOW_POLICIES), 'drop-oldest'),
      /** Hard cap of the queue file in SQLite pages; past it writes fail as a full disk. */
      maxPages: z.optional(positiveInt),
      /** Readings are committed together at most this often (group commit). */
      flushMs: z._default(z.int().check(z.gte(0), z.lte(5000)), 20),
    }),
    {
      maxBytes: 256 * 1024 * 1024,
      maxAgeHours: 24 * 7,
      overflow: 'drop-oldest',
      flushMs: 20,
    },
  ),
  uplink: z._default(
    z.strictObject({
      heartbeatSeconds: z._default(z.number().check(z.positive()), 30),
      ackTimeoutSeconds: z._default(z.number().check(z.positive()), 30),
      maxBatch: z._default(z.int().check(z.gte(1), z.lte(5000)), 5000),
      /**
       * The broker's largest packet (EMQX defaults to 1 MiB); batches stay within it.
       * [MQTT 3.1.1 §2.2.3: at most 268 435 455 bytes]
       */
      maxPacketBytes: z._default(z.int().check(z.gte(64 * 1024), z.lte(268_435_455)), 1024 * 1024),
      backoff: z._default(backoff, { minMs: 500, maxMs: 60_000 }),
    }),
    {
      heartbeatSeconds: 30,
      ackTimeoutSeconds: 30,
      maxBatch: 5000,
      maxPacketBytes: 1024 * 1024,
      backoff: { minMs: 500, maxMs: 60_000 },
    },
  ),
  devices: z._default(devicesSchema, []),
  alarms: z._default(z.array(alarmRuleSchema), []),
  localAlarm: z._default(
    z.strictObject({
      /** POSTed the alarm JSON while the hub is unreachable. Keep it on the local network. */
      webhook: z.optional(z.url()),
      /**
       * `[program, ...args]`, run with the alarm JSON on stdin (see `runAlarmCommand`). The
       * program is an absolute path; arguments are fixed here, never built from an alarm.
       */
      command: z.optional(
        z.array(z.string().check(z.minLength(1), z.maxLength(4096))).check(
          z.minLength(1),
          z.maxLength(64),
          z.refine((argv) => argv[0]?.startsWith('/') === true, {
            message: 'the program (first item) must be an absolute path',
            path: [0],
          }),
        ),
      ),
    }),
    {},
  ),
});

/** An agent config as written (before defaults). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
/** A validated agent config. */
export type AgentConfig = z.infer<typeof agentConfigSchema>;
/** One local alarm rule. */
export type AlarmRule = z.infer<typeof alarmRuleSchema>;

/** The sections the hub may replace over `down/config`. */
export const pushableConfigSchema = z.partial(
  z.pick(agentConfigSchema, {
    devices: true,
    alarms: true,
    queue: true,
    uplink: true,
    localAlarm: true,
    logLevel: true,
  }),
);

/** The sections of a hub push, validated; sections the hub did not send stay absent. */
export type PushedConfig = z.infer<typeof pushableConfigSchema>;

/**
 * Validates a hub push and keeps only the sections it carries, so a push that names only
 * `alarms` (or only a sealing key) never resets the file's devices to the schema default.
 *
 * @example
 * ```ts
 * const parsed = parsePushedConfig({ alarms: [] }); // { success: true, data: { alarms: [] } }
 * ```
 */
export function parsePushedConfig(
  input: Record<string, unknown>,
): ReturnType<typeof pushableConfigSchema.safeParse> {
  const parsed = pushableConfigSchema.safeParse(input);
  if (!parsed.success) {
    return parsed;
  }
  const data: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(parsed.data)) {
    if (Object.hasOwn(input, section)) {
      data[section] = value;
    }
  }

  return { ...parsed, data };
}
