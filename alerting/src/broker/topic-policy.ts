import { isAgentTopicAllowed, parseAgentTopic } from '@sparkden/protocol';

/**
 * Whether an agent may publish to `topic`: only its own `up/*`, and `retain` only on
 * `up/status` (the heartbeat and its last will).
 */
export function mayPublish(agentId: string, topic: string, retain: boolean): boolean {
  const parsed = parseAgentTopic(topic);
  if (!isAgentTopicAllowed(agentId, topic) || parsed?.direction !== 'up') {
    return false;
  }

  return !retain || parsed.kind === 'status';
}

/** Whether an agent may subscribe to `topic`: only its own `down/*`, no wildcards. */
export function maySubscribe(agentId: string, topic: string): boolean {
  return isAgentTopicAllowed(agentId, topic) && parseAgentTopic(topic)?.direction === 'down';
}
