import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AgentStatus } from '@sparkden/protocol';

import type { QueueStats } from './queue/sealed-queue.js';
import { STATE_FILES } from './state-dir.js';
import type { LinkState } from './uplink/uplink.js';

/** A condition an operator should know about, by code (never PHI). */
export interface AgentProblem {
  code:
    | 'DISK_FULL'
    | 'QUEUE_QUARANTINED'
    | 'RECORD_QUARANTINED'
    | 'REVOKED'
    | 'CONFIG_REJECTED'
    | 'DEVICE_ERROR';
  since: string;
  detail?: string;
}

/**
 * The heartbeat plus what only the box needs: the process, the link, problems, the skew
 * estimates and the queue's drop and quarantine counters. Written to `status.json` in the
 * state dir for `sparkden-agent status`.
 */
export interface LocalStatus extends AgentStatus {
  pid: number;
  /** The key id frames to the hub are sealed with (it rises with each hub key rotation). */
  sealingKeyId?: number;
  link: LinkState;
  linkDetail?: string;
  problems: AgentProblem[];
  queueDetail: {
    records: number;
    dropped: number;
    quarantined: number;
    pendingInMemory: number;
    batchTarget: number;
  };
  skew: { hubOffsetMs: number; devices: Record<string, number> };
  localAlarmsRaised: number;
  readingsAccepted: number;
  readingsInvalid: number;
}

/** What {@link composeStatus} puts together, gathered by the agent. */
export interface StatusParts {
  /** `online` when the uplink is connected, else `offline`. */
  measured: AgentStatus['state'];
  agentId: string;
  sealingKeyId: number;
  version: string;
  queue: QueueStats;
  devices: AgentStatus['devices'];
  configVersion?: number;
  link: { state: LinkState; detail?: string };
  problems: AgentProblem[];
  pendingInMemory: number;
  batchTarget: number;
  skew: LocalStatus['skew'];
  counters: { accepted: number; invalid: number; localAlarms: number };
}

/**
 * The status the agent publishes and writes: `revoked` over everything, `degraded` when
 * online with a problem.
 *
 * @example
 * ```ts
 * const status = composeStatus(parts);
 * ```
 */
export function composeStatus(p: StatusParts): LocalStatus {
  const q = p.queue;
  let shown = p.measured;
  if (p.link.state === 'revoked') {
    shown = 'revoked';
  } else if (shown === 'online' && p.problems.length > 0) {
    shown = 'degraded';
  }

  return {
    agentId: p.agentId,
    state: shown,
    sentAt: new Date().toISOString(),
    version: p.version,
    queue: { depth: q.depth, bytes: q.bytes, oldestAgeMs: q.oldestAgeMs, alarms: q.alarms },
    devices: p.devices,
    ...(p.configVersion === undefined ? {} : { configVersion: p.configVersion }),
    pid: process.pid,
    sealingKeyId: p.sealingKeyId,
    link: p.link.state,
    ...(p.link.detail === undefined ? {} : { linkDetail: p.link.detail }),
    problems: p.problems,
    queueDetail: {
      records: q.records,
      dropped: q.dropped,
      quarantined: q.quarantined,
      pendingInMemory: p.pendingInMemory,
      batchTarget: p.batchTarget,
    },
    skew: p.skew,
    localAlarmsRaised: p.counters.localAlarms,
    readingsAccepted: p.counters.accepted,
    readingsInvalid: p.counters.invalid,
  };
}

/** Reads the last status the agent wrote, with whether its process still runs. */
export function readLocalStatus(
  stateDir: string,
): { status: LocalStatus; running: boolean } | undefined {
  let status: LocalStatus;
  try {
    status = JSON.parse(readFileSync(join(stateDir, STATE_FILES.status), 'utf8')) as LocalStatus;
  } catch {
    return undefined;
  }
  let running = false;
  try {
    process.kill(status.pid, 0);
    running = true;
  } catch {
    running = false;
  }

  return { status, running };
}

/** Formats a status for a terminal: one fact per line, no PHI. */
export function formatStatus(status: LocalStatus, running: boolean): string {
  const age = (ms: number) =>
    ms < 1000
      ? `${ms} ms`
      : ms < 120_000
        ? `${Math.round(ms / 1000)} s`
        : `${Math.round(ms / 60_000)} min`;
  const lines = [
    `agent      ${status.agentId} (${status.version})`,
    `process    ${running ? `running, pid ${status.pid}` : 'NOT RUNNING (last status below)'}`,
    `state      ${status.state}${status.state === 'revoked' ? ' — the hub refuses this agent; re-enroll' : ''}`,
    `link       ${status.link}${status.linkDetail ? ` (${status.linkDetail})` : ''}`,
    `as of      ${status.sentAt}`,
    `queue      ${status.queue.depth} items in ${status.queueDetail.records} records, ${status.queue.bytes} bytes, oldest ${age(status.queue.oldestAgeMs)}, ${status.queue.alarms} alarms`,
    `           dropped by policy ${status.queueDetail.dropped}, quarantined ${status.queueDetail.quarantined}, in memory ${status.queueDetail.pendingInMemory}, batch ${status.queueDetail.batchTarget}`,
    `clock      hub offset ${status.skew.hubOffsetMs} ms`,
    `config     version ${status.configVersion ?? '-'}, sealing key ${status.sealingKeyId ?? '-'}`,
    `readings   accepted ${status.readingsAccepted}, invalid ${status.readingsInvalid}, local alarms raised ${status.localAlarmsRaised}`,
    'devices',
    ...status.devices.map(
      (d) =>
        `  ${d.id.padEnd(20)} ${d.driver.padEnd(18)} ${d.state}${d.lastReadingAt ? `  last ${d.lastReadingAt}` : ''}${d.error ? `  ${d.error}` : ''}`,
    ),
  ];
  if (status.problems.length > 0) {
    lines.push(
      'problems',
      ...status.problems.map(
        (p) => `  ${p.code} since ${p.since}${p.detail ? `: ${p.detail}` : ''}`,
      ),
    );
  }

  return lines.join('\n');
}
