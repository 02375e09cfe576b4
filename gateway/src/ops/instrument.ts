import type {
  AlertEvent,
  AlertingService,
  BatchEvaluation,
  BatchOrigin,
  FrameHandled,
} from '@sparkden/alerting';
import type { AgentStatus } from '@sparkden/protocol';
import type { SfuService } from '@sparkden/sfu';

import { recordAgentBatch } from './agent-spans.js';
import type { HubMetrics } from './metrics.js';

/** The parts {@link instrumentHub} watches. */
export interface InstrumentedParts {
  metrics: HubMetrics;
  alerting: AlertingService;
  /** Sampled every `sfuIntervalMs` for the workers' load. */
  sfu?: SfuService;
  /** How often the SFU is sampled (default 5 s). */
  sfuIntervalMs?: number;
  /** How old a sample of the hub's queues (`alerting.db`) a scrape may reuse (default 5 s). */
  queueMaxAgeMs?: number;
}

type Listener<A extends unknown[]> = (...args: A) => void;

// Severity changes of an open alert are pushed like a new alert: both count as latency.
function isPushedAlert(event: AlertEvent): boolean {
  if (event.kind === 'raised') {
    return true;
  }

  return event.kind === 'updated' && event.detail.from !== event.detail.to;
}

function onFrame(metrics: HubMetrics): Listener<[FrameHandled]> {
  return ({ kind, outcome }) => {
    if (kind === 'status') {
      return;
    }
    if (outcome.status === 'refused') {
      const failed = outcome.code === 'STORE_UNAVAILABLE';
      metrics.ingestBatches.inc({ outcome: failed ? 'failed' : 'refused' });

      return;
    }
    if (outcome.status !== 'acked') {
      return;
    }

    const { stored, duplicates, rejected } = outcome.ack;
    metrics.ingestBatches.inc({ outcome: 'acked' });
    metrics.ingestedObservations.inc({ outcome: 'stored' }, stored);
    metrics.ingestedObservations.inc({ outcome: 'duplicate' }, duplicates);
    metrics.ingestedObservations.inc({ outcome: 'rejected' }, rejected.length);
  };
}

function onStatus(metrics: HubMetrics): Listener<[string, AgentStatus]> {
  return (agentId, status) => {
    const agent = { agent: agentId };
    if (status.state === 'offline' || status.state === 'revoked') {
      // A last will: the gauges would otherwise freeze at the last heartbeat.
      metrics.agentQueueDepth.remove(agent);
      metrics.agentOldestQueuedSeconds.remove(agent);

      return;
    }

    metrics.agentQueueDepth.set(agent, status.queue.depth);
    metrics.agentOldestQueuedSeconds.set(agent, status.queue.oldestAgeMs / 1000);
  };
}

function onAlertEvent(metrics: HubMetrics): Listener<[AlertEvent, BatchOrigin?]> {
  return (event, origin) => {
    if (event.kind === 'raised') {
      metrics.alertsRaised.inc({ severity: event.alert.severity });
    }
    if (origin === undefined || !isPushedAlert(event)) {
      return;
    }

    // The console's listener runs in the same emit: now is when the alert went out.
    const seconds = Math.max(0, Date.now() - origin.receivedAt) / 1000;
    metrics.alertLatency.observe({ severity: event.alert.severity }, seconds);
  };
}

// One series per worker, labelled by its pool index; a worker gone since the last sample
// (media stopped) leaves no stale series. Sum them in PromQL for the node's load.
function sampleSfu(metrics: HubMetrics, sfu: SfuService): void {
  const { media } = sfu.status();
  const loads = media.available ? (media.workerLoads ?? []) : [];

  metrics.sfuWorkerLoad.reset();
  loads.forEach((load, index) => metrics.sfuWorkerLoad.set({ worker: String(index) }, load));
  metrics.sfuWorkers.set(media.available ? media.workers : 0);
}

/**
 * Feeds the hub's Prometheus metrics from the events its parts emit: ingest outcomes,
 * agents' queue depth and oldest age (from their heartbeats), rule evaluation time, alerts
 * raised, alert latency (from the batch reaching ingest to the alert being pushed to the
 * consoles), the SFU's worker count and load per worker, and the depth and oldest age of
 * the hub's queues in the database (read on scrape). Labels carry opaque ids and enums only,
 * never PHI. Also records each traced agent batch's own `agent.batch` span (see
 * {@link recordAgentBatch}), so a trace starts on the agent. Returns a function that
 * detaches everything.
 *
 * @example
 * ```ts
 * const detach = instrumentHub({ metrics: hub.metrics, alerting: hub.alerting });
 * // … later
 * detach();
 * ```
 */
export function instrumentHub(parts: InstrumentedParts): () => void {
  const { metrics, alerting, sfu } = parts;
  const { ingest, fleet, engine } = alerting;
  const interval = parts.sfuIntervalMs ?? 5000;
  if (!(interval > 0)) {
    throw new TypeError('"sfuIntervalMs" must be > 0');
  }

  const frame = onFrame(metrics);
  const status = onStatus(metrics);
  const revoked = (agentId: string) => status(agentId, { state: 'revoked' } as AgentStatus);
  const alertEvent = onAlertEvent(metrics);
  const evaluated = ({ seconds }: BatchEvaluation) => metrics.ruleEvaluation.observe(seconds);
  ingest.on('frameHandled', frame);
  ingest.on('agentStatus', status);
  ingest.on('agentBatchOpened', recordAgentBatch);
  fleet.on('agentRevoked', revoked);
  engine?.on('alertEvent', alertEvent);
  engine?.on('batchEvaluated', evaluated);
  let timer: NodeJS.Timeout | undefined;
  if (sfu !== undefined) {
    sampleSfu(metrics, sfu);
    timer = setInterval(() => sampleSfu(metrics, sfu), interval);
    timer.unref();
  }
  const unwatchQueues = metrics.queues.watch(alerting.db, parts.queueMaxAgeMs);

  return () => {
    clearInterval(timer);
    ingest.off('frameHandled', frame);
    ingest.off('agentStatus', status);
    ingest.off('agentBatchOpened', recordAgentBatch);
    unwatchQueues();
    fleet.off('agentRevoked', revoked);
    engine?.off('alertEvent', alertEvent);
    engine?.off('batchEvaluated', evaluated);
  };
}
