import { VITAL_CODE_KEYS, type VitalCode } from '@sparkden/protocol';
import { z } from 'zod';

/** Drivers the agent itself provides beside those of `@sparkden/device-drivers`. */
export const AGENT_DRIVERS = ['ndjson-file'] as const;

const vitalCode = z.enum(VITAL_CODE_KEYS as [VitalCode, ...VitalCode[]]);
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - only');
const backoff = z.strictObject({
  minMs: z.number().int().positive().default(500),
  maxMs: z.number().int().positive().default(60_000),
});

/** One device: its driver, transport options and the patient it is bound to. */
export const deviceConfigSchema = z.strictObject({
  id,
  driver: z.string().min(1),
  /** The patient reference every reading of this device carries. */
  patient: z.string().min(1).max(128),
  enabled: z.boolean().default(true),
  model: z.string().max(128).optional(),
  serialNumber: z.string().max(128).optional(),
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
      address: z.string().optional(),
      name: z.string().optional(),
      fetchStored: z.boolean().optional(),
    })
    .optional(),
  mllp: z
    .strictObject({ host: z.string().optional(), port: z.number().int().min(1).max(65535) })
    .optional(),
  mqtt: z
    .strictObject({
      url: z.string().min(1),
      topic: z.string().min(1),
      username: z.string().optional(),
      password: z.string().optional(),
      mapping: z.array(
        z.strictObject({
          path: z.string(),
          code: vitalCode,
          unit: z.string().optional(),
          scale: z.number().optional(),
          topic: z.string().optional(),
        }),
      ),
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

/** A threshold evaluated on the box, so urgent values raise an alarm while the hub is away. */
export const alarmRuleSchema = z
  .strictObject({
    /** A stable alarm code sent to the hub: `SPO2_LOW`. */
    name: z.string().regex(/^[A-Z0-9_]{1,64}$/, 'upper-case letters, digits and _'),
    code: vitalCode,
    below: z.number().optional(),
    above: z.number().optional(),
    /** The breach must last this long before the alarm is raised (0: at once). */
    forSeconds: z.number().nonnegative().default(0),
    severity: z.enum(['warning', 'urgent']).default('urgent'),
    /** Limit to some devices (default all). */
    devices: z.array(id).optional(),
  })
  .refine((r) => r.below !== undefined || r.above !== undefined, {
    message: 'needs "below" or "above"',
    path: ['below'],
  });

/** What the agent does when the queue passes its bounds. Alarms are never dropped. */
export const OVERFLOW_POLICIES = ['drop-oldest', 'drop-newest'] as const;

/** The whole agent config file. */
export const agentConfigSchema = z.strictObject({
  stateDir: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  hub: z
    .strictObject({
      /** The hub's HTTP(S) base URL, for enrollment. */
      url: z.url().optional(),
      /** Overrides the broker URL the hub gave at enrollment (`mqtt://` only on loopback). */
      mqttUrl: z
        .string()
        .regex(/^mqtts?:\/\/[^/]+$/, 'mqtt://host:port or mqtts://host:port')
        .optional(),
    })
    .default({}),
  queue: z
    .strictObject({
      /** Sealed bytes kept at most; past it the overflow policy applies. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024 * 1024),
      /** Readings older than this are dropped (alarms are kept). */
      maxAgeHours: z
        .number()
        .positive()
        .default(24 * 7),
      overflow: z.enum(OVERFLOW_POLICIES).default('drop-oldest'),
      /** Hard cap of the queue file in SQLite pages; past it writes fail as a full disk. */
      maxPages: z.number().int().positive().optional(),
      /** Readings are committed together at most this often (group commit). */
      flushMs: z.number().int().min(0).max(5000).default(20),
    })
    .default({
      maxBytes: 256 * 1024 * 1024,
      maxAgeHours: 24 * 7,
      overflow: 'drop-oldest',
      flushMs: 20,
    }),
  uplink: z
    .strictObject({
      heartbeatSeconds: z.number().positive().default(30),
      ackTimeoutSeconds: z.number().positive().default(30),
      maxBatch: z.number().int().min(1).max(5000).default(5000),
      backoff: backoff.default({ minMs: 500, maxMs: 60_000 }),
    })
    .default({
      heartbeatSeconds: 30,
      ackTimeoutSeconds: 30,
      maxBatch: 5000,
      backoff: { minMs: 500, maxMs: 60_000 },
    }),
  devices: z.array(deviceConfigSchema).default([]),
  alarms: z.array(alarmRuleSchema).default([]),
  localAlarm: z
    .strictObject({
      /** POSTed the alarm JSON while the hub is unreachable. Keep it on the local network. */
      webhook: z.url().optional(),
      /** Run with the alarm JSON in `SPARKDEN_ALARM`; argv split on spaces. */
      command: z.string().min(1).optional(),
    })
    .default({}),
});

/** An agent config as written (before defaults). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
/** A validated agent config. */
export type AgentConfig = z.infer<typeof agentConfigSchema>;
/** One device of {@link AgentConfig}. */
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
/** One local alarm rule. */
export type AlarmRule = z.infer<typeof alarmRuleSchema>;

/** The sections the hub may replace over `down/config`. */
export const pushableConfigSchema = agentConfigSchema
  .pick({
    devices: true,
    alarms: true,
    queue: true,
    uplink: true,
    localAlarm: true,
    logLevel: true,
  })
  .partial();

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
