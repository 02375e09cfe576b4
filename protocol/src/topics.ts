/** The root of every Spark Den topic. */
export const TOPIC_ROOT = 'sd/v1/agent';

/** Topics an agent publishes to. */
export type UpKind = 'obs' | 'alarm' | 'status';
/** Topics the hub publishes to. */
export type DownKind = 'ack' | 'config';

/**
 * The topic of one agent's message.
 *
 * @example
 * ```ts
 * agentTopic('agent-7', 'up', 'obs'); // 'sd/v1/agent/agent-7/up/obs'
 * ```
 */
export function agentTopic(agentId: string, direction: 'up', kind: UpKind): string;
export function agentTopic(agentId: string, direction: 'down', kind: DownKind): string;
export function agentTopic(agentId: string, direction: 'up' | 'down', kind: UpKind | DownKind) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(agentId)) {
    throw new TypeError(`"agentId" is not a valid agent id: ${JSON.stringify(agentId)}`);
  }

  return `${TOPIC_ROOT}/${agentId}/${direction}/${kind}`;
}

/** A parsed agent topic. */
export interface ParsedTopic {
  agentId: string;
  direction: 'up' | 'down';
  kind: UpKind | DownKind;
}

const TOPIC_RE = /^sd\/v1\/agent\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/(up|down)\/([a-z]+)$/;
const UP_KINDS: readonly string[] = ['obs', 'alarm', 'status'];
const DOWN_KINDS: readonly string[] = ['ack', 'config'];

/** Parses a topic of {@link agentTopic}'s shape, or returns `undefined`. */
export function parseAgentTopic(topic: string): ParsedTopic | undefined {
  const m = TOPIC_RE.exec(topic);
  if (!m) {
    return undefined;
  }
  const [, agentId, direction, kind] = m as unknown as [string, string, 'up' | 'down', string];
  const kinds = direction === 'up' ? UP_KINDS : DOWN_KINDS;

  return kinds.includes(kind) ? { agentId, direction, kind: kind as UpKind | DownKind } : undefined;
}

/**
 * Whether an agent may touch a topic (publish or subscribe): only its own subtree.
 * Wildcards are refused outright so an agent cannot subscribe across agents.
 */
export function isAgentTopicAllowed(agentId: string, topic: string): boolean {
  if (topic.includes('+') || topic.includes('#')) {
    return false;
  }

  return parseAgentTopic(topic)?.agentId === agentId;
}
