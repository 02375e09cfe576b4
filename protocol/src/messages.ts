import { ObservationError } from './errors.js';
import { formatIssues, observationSchema } from './observation.js';
import * as z from './zod-mini.js';

const isoTime = z.iso.datetime({ offset: true });
const count = z.int().check(z.nonnegative());
const agentId = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'not a valid agent id'));
// [W3C Trace Context: traceparent] carried inside the sealed body so a trace spans
// agent → broker → ingest → alert → console without the broker seeing it.
const traceparent = z.optional(
  z.string().check(z.regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'not a W3C traceparent')),
);

/** `up/obs`: a batch of readings. `seq` increases per agent and names the batch in `down/ack`. */
export const observationBatchSchema = z.object({
  agentId,
  seq: count,
  sentAt: isoTime,
  observations: z.array(observationSchema).check(z.minLength(1), z.maxLength(5000)),
  traceparent,
});

/** One alarm of an `up/alarm` message. */
export const alarmItemSchema = z.object({
  id: z.uuid(),
  patient: z.string().check(z.minLength(1), z.maxLength(128)),
  deviceId: z.string().check(z.minLength(1), z.maxLength(128)),
  kind: z.enum(['device', 'local-threshold', 'device-status']),
  severity: z.enum(['info', 'warning', 'urgent']),
  code: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Machine-readable reason, never free text from the patient. */
  reason: z.string().check(z.minLength(1), z.maxLength(256)),
  observationId: z.optional(z.uuid()),
  raisedAt: isoTime,
});

/** `up/alarm`: a device or local alarm, sent before any queued batch. */
export const alarmSchema = z.object({
  agentId,
  seq: count,
  sentAt: isoTime,
  traceparent,
  alarms: z.array(alarmItemSchema).check(z.minLength(1), z.maxLength(1000)),
});

/** `up/status`: the retained heartbeat. */
export const agentStatusSchema = z.object({
  agentId,
  state: z.enum(['online', 'offline', 'revoked', 'degraded']),
  sentAt: isoTime,
  version: z.string().check(z.maxLength(64)),
  queue: z.object({
    depth: count,
    bytes: count,
    oldestAgeMs: count,
    alarms: count,
  }),
  devices: z
    .array(
      z.object({
        id: z.string(),
        driver: z.string(),
        state: z.enum(['connected', 'connecting', 'disconnected', 'error', 'disabled']),
        lastReadingAt: z.optional(isoTime),
        error: z.optional(z.string().check(z.maxLength(256))),
      }),
    )
    .check(z.maxLength(256)),
  configVersion: z.optional(count),
});

/** `down/ack`: sent by the hub only after the batch is committed. */
export const ackSchema = z.object({
  seq: count,
  kind: z.enum(['obs', 'alarm']),
  /** Rows newly stored. */
  stored: count,
  /** Rows already present (a resend). */
  duplicates: count,
  /** Observation ids rejected as invalid; never retried. */
  rejected: z._default(z.array(z.object({ id: z.string(), reason: z.string() })), []),
  hubTime: isoTime,
});

/** `down/config`: retained, hub-pushed configuration; the agent answers in its status. */
export const agentConfigPushSchema = z.object({
  version: count,
  issuedAt: isoTime,
  config: z.record(z.string(), z.unknown()),
});

export type ObservationBatch = z.infer<typeof observationBatchSchema>;
export type AlarmMessage = z.infer<typeof alarmSchema>;
export type AgentStatus = z.infer<typeof agentStatusSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type AgentConfigPush = z.infer<typeof agentConfigPushSchema>;

/** The payload schema of each message kind. */
export const MESSAGE_SCHEMAS = {
  obs: observationBatchSchema,
  alarm: alarmSchema,
  status: agentStatusSchema,
  ack: ackSchema,
  config: agentConfigPushSchema,
} as const;

export type MessageKind = keyof typeof MESSAGE_SCHEMAS;

/** Maps each message kind to its payload type. */
export interface MessageTypes {
  obs: ObservationBatch;
  alarm: AlarmMessage;
  status: AgentStatus;
  ack: Ack;
  config: AgentConfigPush;
}

/**
 * Validates a decoded message body against the schema of its kind.
 *
 * @throws {ObservationError} `INVALID`, naming each bad field (`observations.2.unit: …`).
 */
export function parseMessage<K extends MessageKind>(kind: K, input: unknown): MessageTypes[K] {
  const result = MESSAGE_SCHEMAS[kind].safeParse(input);
  if (!result.success) {
    throw new ObservationError('INVALID', formatIssues(result.error, kind));
  }

  return result.data as MessageTypes[K];
}
