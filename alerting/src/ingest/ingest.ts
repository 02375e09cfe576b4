import { SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import {
  EnvelopeError,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
  type AgentStatus,
  type AlarmMessage,
  type EnvelopeHeader,
  type Observation,
  type UpKind,
} from '@sparkden/protocol';
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';

import { alertingLogger } from '../log/safe-error.js';
import { agentBatchTiming, type AgentBatchTiming } from './agent-batch.js';
import type { PendingBatch, WriteBatchInput, WriteResult } from '../store/index.js';
import { isDataError, type IngestRefusal } from './errors.js';
import {
  alertingTracer,
  contextFromTraceparent,
  recordBrokerHop,
  traceparentOf,
  type BatchOrigin,
} from './trace-context.js';
import {
  sortAlarmBatch,
  sortObservationBatch,
  type Rejection,
  type SortedBatch,
} from './validate.js';

/** One device alarm as it arrives on `up/alarm`. */
export type IncomingAlarm = AlarmMessage['alarms'][number];

/**
 * Who receives what was committed: the rule engine (`AlertEngine` fits). Each method must
 * resolve only once the alerts it raised are committed, and reject otherwise: the batch's
 * ack waits for it, and a rejection withholds the ack so the agent resends.
 */
export interface CommittedSink {
  handleObservations(observations: readonly Observation[], origin?: BatchOrigin): Promise<void>;
  handleAlarms(
    agentId: string,
    alarms: readonly IncomingAlarm[],
    origin?: BatchOrigin,
  ): Promise<void>;
}

/** What ingest needs of the fleet: keys, and where heartbeats go. */
export interface IngestKeys {
  sealingKey(agentId: string, keyId: number): Uint8Array | undefined;
  recordStatus(agentId: string, status: AgentStatus): Promise<void>;
  /** Whether `keyId` was this agent's and is retired (refused as `KEY_RETIRED`). */
  isKeyRetired?(agentId: string, keyId: number): boolean;
  /** Called after a frame opened under `keyId`; completes a pending key rotation. */
  sealingKeyUsed?(agentId: string, keyId: number): Promise<void>;
}

/** What ingest needs of the vitals store (`VitalsStore` fits). */
export interface IngestStore {
  write(input: WriteBatchInput): Promise<WriteResult>;
  /** Clears the unevaluated marker `write` set with `pending`. */
  markEvaluated(agentId: string, batch: PendingBatch): Promise<void>;
}

/** Options of {@link Ingest}. */
export interface IngestOptions {
  store: IngestStore;
  keys: IngestKeys;
  /** Publishes a sealed frame on the agent's `down/ack` (QoS 1). */
  publishAck: (agentId: string, frame: Uint8Array) => Promise<void>;
  /** Receives committed observations and alarms; may be set later with {@link Ingest.setSink}. */
  sink?: CommittedSink;
  logger?: Logger;
  now?: () => Date;
}

/** What became of one frame. */
export type IngestOutcome =
  | { status: 'acked'; ack: Ack }
  | { status: 'recorded' }
  | { status: 'refused'; code: IngestRefusal };

/** One frame handled, as {@link Ingest} emits it in `frameHandled`. */
export interface FrameHandled {
  agentId: string;
  kind: UpKind;
  outcome: IngestOutcome;
}

/** Events of an {@link Ingest}. */
export interface IngestEvents {
  /** After each frame: acked (with the ack's counts), recorded (status) or refused. */
  frameHandled: [FrameHandled];
  /** An agent's heartbeat was recorded (its queue depth and oldest age, for metrics). */
  agentStatus: [agentId: string, status: AgentStatus];
  /** A traced batch was opened: the agent's own timing of it, for its `agent.batch` span. */
  agentBatchOpened: [timing: AgentBatchTiming];
}

/** One frame as a broker link hands it to {@link Ingest.handle}. */
export interface IngestFrame {
  agentId: string;
  kind: UpKind;
  payload: Uint8Array;
  /** Epoch ms when the broker took the frame in; times the `broker.publish` span. */
  arrivedAt?: number;
}

/** Counters since start, for health pages and benches. */
export interface IngestStats {
  frames: number;
  stored: number;
  duplicates: number;
  rejected: number;
  refused: number;
  deferred: number;
}

/**
 * Turns agents' sealed frames into committed rows. For `up/obs` and `up/alarm`: open the
 * envelope with the agent's key (kind and agent must match the topic), validate each item,
 * store the valid ones in one transaction, hand them to the rule engine, and only once the
 * engine has committed their alerts publish the sealed `Ack`. No ack when the database or
 * the engine fails: the agent keeps the batch and sends it again. Frames of one agent are
 * handled in order.
 *
 * @example
 * ```ts
 * const ingest = new Ingest({ store, keys: fleet, publishAck, sink: engine });
 * broker.on('agentMessage', (m) => void ingest.handle(m));
 * ```
 */
export class Ingest extends EventEmitter<IngestEvents> {
  readonly #options: IngestOptions;
  readonly #log: Logger;
  readonly #chains = new Map<string, Promise<unknown>>();
  #sink?: CommittedSink;
  readonly #stats: IngestStats = {
    frames: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    refused: 0,
    deferred: 0,
  };

  constructor(options: IngestOptions) {
    super();
    this.#options = options;
    this.#sink = options.sink;
    this.#log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:ingest');
  }

  /** Sets who receives committed observations and alarms. */
  setSink(sink: CommittedSink | undefined): void {
    this.#sink = sink;
  }

  /** A copy of the counters. */
  stats(): IngestStats {
    return { ...this.#stats };
  }

  /** Handles one frame from the broker; frames of one agent run one after another. */
  handle(message: IngestFrame): Promise<IngestOutcome> {
    const prior = this.#chains.get(message.agentId) ?? Promise.resolve();
    const receivedAt = Date.now();
    const next = prior.then(() => this.#handle(message, receivedAt));
    void next.then(
      (outcome) => this.#emitHandled({ agentId: message.agentId, kind: message.kind, outcome }),
      () => undefined,
    );
    const tail = next.catch(() => undefined);
    this.#chains.set(message.agentId, tail);
    void tail.then(() => {
      if (this.#chains.get(message.agentId) === tail) {
        this.#chains.delete(message.agentId);
      }
    });

    return next;
  }

  /** Resolves when every frame received so far has been handled. */
  async drain(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
  }

  #emitHandled(handled: FrameHandled): void {
    try {
      this.emit('frameHandled', handled);
    } catch (error) {
      this.#log.warn({ err: error }, 'a frameHandled listener threw');
    }
  }

  #emitOpened(timing: AgentBatchTiming | undefined): void {
    if (timing === undefined) {
      return;
    }

    try {
      this.emit('agentBatchOpened', timing);
    } catch (error) {
      this.#log.warn({ err: error }, 'an agentBatchOpened listener threw');
    }
  }

  async #handle(m: IngestFrame, receivedAt: number): Promise<IngestOutcome> {
    this.#stats.frames++;
    let opened: { header: EnvelopeHeader; value: unknown };
    let keyId: number | undefined;
    try {
      opened = openJson(m.payload, {
        key: (h) => this.#options.keys.sealingKey(m.agentId, (keyId = h.keyId)),
        agentId: m.agentId,
        kind: m.kind,
      });
    } catch (error) {
      const code = error instanceof EnvelopeError ? error.code : 'UNKNOWN';
      const retired =
        code === 'UNKNOWN_KEY' &&
        keyId !== undefined &&
        this.#options.keys.isKeyRetired?.(m.agentId, keyId) === true;

      return this.#refuse(m.agentId, undefined, retired ? 'KEY_RETIRED' : `ENVELOPE_${code}`);
    }
    await this.#keyUsed(m.agentId, opened.header.keyId);

    if (m.kind === 'status') {
      return this.#status(m.agentId, opened.value);
    }

    return this.#traced(m, m.kind, opened, receivedAt);
  }

  async #keyUsed(agentId: string, keyId: number): Promise<void> {
    try {
      await this.#options.keys.sealingKeyUsed?.(agentId, keyId);
    } catch (error) {
      // The next frame under the new key tries again; this one is still handled.
      this.#log.warn(
        { agentId, keyId, code: 'KEY_PROMOTION_DEFERRED', reason: (error as Error).name },
        'sealing key rotation not recorded yet',
      );
    }
  }

  // [W3C Trace Context] the agent's traceparent travels inside the sealed body: the agent's
  // batch span (recorded by whoever listens to `agentBatchOpened`) → broker.publish →
  // ingest.batch.
  async #traced(
    m: IngestFrame,
    kind: 'obs' | 'alarm',
    opened: { header: EnvelopeHeader; value: unknown },
    receivedAt: number,
  ): Promise<IngestOutcome> {
    const agentId = m.agentId;
    const agent = contextFromTraceparent((opened.value as { traceparent?: unknown }).traceparent);
    this.#emitOpened(agentBatchTiming(agentId, kind, opened.value));
    const parent =
      m.arrivedAt === undefined ? agent : recordBrokerHop(agent, agentId, m.arrivedAt, receivedAt);
    const span = alertingTracer().startSpan(
      'ingest.batch',
      {
        kind: SpanKind.CONSUMER,
        startTime: receivedAt,
        attributes: { 'sparkden.agent.id': agentId, 'sparkden.batch.kind': kind },
      },
      parent,
    );
    const sorted =
      kind === 'obs' ? sortObservationBatch(opened.value) : sortAlarmBatch(opened.value);
    try {
      const outcome = await this.#batch(agentId, opened.header, kind, sorted, {
        span,
        ctx: trace.setSpan(parent, span),
        receivedAt,
      });
      span.setAttribute('sparkden.ingest.outcome', outcome.status);
      if (outcome.status === 'refused') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.code });
      }

      return outcome;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
      throw error;
    } finally {
      span.end();
    }
  }

  async #status(agentId: string, value: unknown): Promise<IngestOutcome> {
    let status: AgentStatus;
    try {
      status = parseMessage('status', value);
    } catch {
      return this.#refuse(agentId, undefined, 'INVALID_BATCH');
    }
    if (status.agentId !== agentId) {
      return this.#refuse(agentId, undefined, 'AGENT_MISMATCH');
    }
    try {
      await this.#options.keys.recordStatus(agentId, status);
    } catch {
      this.#stats.deferred++;
      this.#log.warn({ agentId, code: 'STORE_UNAVAILABLE' }, 'status not recorded');

      return { status: 'refused', code: 'STORE_UNAVAILABLE' };
    }
    this.emit('agentStatus', agentId, status);

    return { status: 'recorded' };
  }

  async #batch(
    agentId: string,
    header: EnvelopeHeader,
    kind: 'obs' | 'alarm',
    sorted: SortedBatch<Observation> | SortedBatch<IncomingAlarm> | undefined,
    trail: { span: Span; ctx: Context; receivedAt: number },
  ): Promise<IngestOutcome> {
    const seq = header.seq.toString();
    if (sorted === undefined) {
      return this.#refuse(agentId, seq, 'INVALID_BATCH');
    }
    if (sorted.agentId !== agentId) {
      return this.#refuse(agentId, seq, 'AGENT_MISMATCH');
    }
    if (BigInt(sorted.seq) !== header.seq) {
      return this.#refuse(agentId, seq, 'SEQ_MISMATCH');
    }

    const observations = kind === 'obs' ? (sorted.valid as Observation[]) : [];
    const alarms = kind === 'alarm' ? (sorted.valid as IncomingAlarm[]) : [];
    const rejected = [...sorted.rejected];
    // Read once: the batch is marked unevaluated only when an engine will evaluate it.
    const sink = this.#sink;
    const pending: PendingBatch | undefined = sink === undefined ? undefined : { kind, seq };
    let result: WriteResult;
    const commit = alertingTracer().startSpan('store.commit', {}, trail.ctx);
    try {
      result = await this.#write(
        { agentId, observations, alarms: alarms.map((a) => ({ ...a, agentId })), pending },
        rejected,
      );
      commit.end();
    } catch (error) {
      commit.setStatus({ code: SpanStatusCode.ERROR, message: 'STORE_UNAVAILABLE' });
      commit.end();
      this.#stats.deferred++;
      const sqlstate = (error as { code?: unknown }).code;
      this.#log.warn(
        {
          agentId,
          seq,
          code: 'STORE_UNAVAILABLE',
          sqlstate: typeof sqlstate === 'string' ? sqlstate : undefined,
        },
        'batch not stored; no ack, the agent will resend',
      );

      return { status: 'refused', code: 'STORE_UNAVAILABLE' };
    }

    const ack: Ack = {
      seq: sorted.seq,
      kind,
      stored: kind === 'obs' ? result.stored.length : result.alarmsStored.length,
      duplicates: kind === 'obs' ? result.duplicates : result.alarmDuplicates,
      rejected,
      hubTime: (this.#options.now?.() ?? new Date()).toISOString(),
    };
    const origin = { receivedAt: trail.receivedAt, traceparent: traceparentOf(trail.span) };
    const evaluated =
      sink === undefined || pending === undefined
        ? true
        : await this.#evaluate(agentId, sink, pending, result, {
            observations,
            alarms,
            origin,
          });
    if (!evaluated) {
      this.#stats.deferred++;

      return { status: 'refused', code: 'ENGINE_FAILED' };
    }
    this.#count(agentId, ack);
    await this.#sendAck(agentId, header, ack);

    return { status: 'acked', ack };
  }

  // A data error (SQLSTATE class 22/23) would fail every resend; the rows are then written
  // one by one and those the database refuses are rejected, so the batch still gets acked.
  async #write(input: WriteBatchInput, rejected: Rejection[]): Promise<WriteResult> {
    const empty = (): WriteResult => ({
      stored: [],
      duplicates: 0,
      alarmsStored: [],
      alarmDuplicates: 0,
    });
    try {
      return await this.#options.store.write(input);
    } catch (error) {
      if (!isDataError(error)) {
        throw error;
      }
      const alarms = input.alarms ?? [];
      if (input.observations.length + alarms.length <= 1) {
        const id = input.observations[0]?.id ?? alarms[0]?.id ?? '#0';
        rejected.push({
          id,
          reason: `refused by the store (SQLSTATE ${String((error as { code: string }).code)})`,
        });

        return empty();
      }
      const total = empty();
      const singles: WriteBatchInput[] = [
        ...input.observations.map((o) => ({
          agentId: input.agentId,
          observations: [o],
          pending: input.pending,
        })),
        ...alarms.map((a) => ({
          agentId: input.agentId,
          observations: [],
          alarms: [a],
          pending: input.pending,
        })),
      ];
      for (const single of singles) {
        const r = await this.#write(single, rejected);
        total.stored.push(...r.stored);
        total.duplicates += r.duplicates;
        total.alarmsStored.push(...r.alarmsStored);
        total.alarmDuplicates += r.alarmDuplicates;
        if (r.unevaluated !== undefined) {
          total.unevaluated = [...new Set([...(total.unevaluated ?? []), ...r.unevaluated])];
        }
      }

      return total;
    }
  }

  async #sendAck(agentId: string, header: EnvelopeHeader, ack: Ack) {
    const key = this.#options.keys.sealingKey(agentId, header.keyId);
    if (key === undefined) {
      // Revoked between the commit and now: the rows stay, the agent gets no ack.
      this.#log.warn({ agentId, seq: ack.seq, code: 'ACK_KEY_GONE' }, 'ack not sent');

      return;
    }
    const frame = sealJson(
      { kind: 'ack', keyId: header.keyId, agentId, seq: header.seq },
      ack,
      key,
    );
    try {
      await this.#options.publishAck(agentId, frame);
    } catch (error) {
      this.#log.warn(
        { agentId, seq: ack.seq, code: 'ACK_NOT_SENT', reason: (error as Error).message },
        'ack not sent',
      );
    }
  }

  // NOTE: the ack is the agent's licence to delete the batch, so it is sent only once the
  // engine has evaluated the batch and committed the alerts it raised. The write marks the
  // batch's newly stored ids unevaluated (`vitals.unevaluated_batch`) in the same transaction
  // as the readings; the marker goes only after the engine resolved. When the engine fails,
  // or the hub dies between the commit and the evaluation, there is no ack and the marker
  // stays: the agent resends the same sealed batch (same seq), the rows are duplicates, and
  // the write returns the ids the marker still holds, which are evaluated now. Evaluation is
  // thus at least once; the engine is idempotent for it (an open alert with the same
  // fingerprint is not raised again), so the alert is raised exactly once.
  async #evaluate(
    agentId: string,
    sink: CommittedSink,
    pending: PendingBatch,
    result: WriteResult,
    items: { observations: Observation[]; alarms: IncomingAlarm[]; origin: BatchOrigin },
  ): Promise<boolean> {
    const { observations, alarms, origin } = items;
    const owed = new Set(result.unevaluated ?? []);
    try {
      if (owed.size > 0 && pending.kind === 'obs') {
        const due = observations.filter((o) => owed.has(o.id));
        await sink.handleObservations(due, origin);
      }
      if (owed.size > 0 && pending.kind === 'alarm') {
        const due = alarms.filter((a) => owed.has(a.id));
        await sink.handleAlarms(agentId, due, origin);
      }
    } catch (error) {
      this.#log.error(
        { agentId, seq: pending.seq, code: 'ENGINE_FAILED', reason: (error as Error).name },
        'rule engine failed on committed rows; no ack, the agent will resend',
      );

      return false;
    }
    if (owed.size > 0) {
      await this.#clearPending(agentId, pending);
    }

    return true;
  }

  // The alerts are committed: a marker left behind only makes a resend of this seq evaluate
  // again, which raises nothing new, so the ack still goes out.
  async #clearPending(agentId: string, pending: PendingBatch): Promise<void> {
    try {
      await this.#options.store.markEvaluated(agentId, pending);
    } catch (error) {
      const sqlstate = (error as { code?: unknown }).code;
      this.#log.warn(
        {
          agentId,
          seq: pending.seq,
          code: 'MARKER_NOT_CLEARED',
          sqlstate: typeof sqlstate === 'string' ? sqlstate : undefined,
        },
        'batch evaluated; its unevaluated marker stays',
      );
    }
  }

  #count(agentId: string, ack: Ack) {
    this.#stats.stored += ack.stored;
    this.#stats.duplicates += ack.duplicates;
    this.#stats.rejected += ack.rejected.length;
    this.#log.debug(
      {
        agentId: undefined,
        seq: ack.seq,
        kind: ack.kind,
        stored: ack.stored,
        duplicates: ack.duplicates,
        rejected: ack.rejected.length,
      },
      'batch committed',
    );
  }

  #refuse(agentId: string, seq: string | undefined, code: IngestRefusal): IngestOutcome {
    this.#stats.refused++;
    this.#log.warn({ agentId, seq, code }, 'frame refused');

    return { status: 'refused', code };
  }
}
