import { createHash } from 'node:crypto';

/**
 * The MQTT client id an agent uses for one device's broker: stable across restarts, so the
 * broker keeps the session (and the messages not yet acknowledged) for the next life, and at
 * most 23 characters, the length every broker must accept [MQTT-3.1.3-5].
 *
 * @example
 * ```ts
 * mqttClientId('agent-1', 'gw-1'); // 'sd-' + 20 hex digits
 * ```
 */
export function mqttClientId(agentId: string, deviceId: string): string {
  const digest = createHash('sha256').update(`${agentId}\0${deviceId}`).digest('hex');

  return `sd-${digest.slice(0, 20)}`;
}
