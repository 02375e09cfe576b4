import { requestJson } from './http.js';

/** Where the gateway mounts the fleet API. */
export const FLEET_BASE = '/api/fleet';

/** One device an agent reports in its heartbeat. */
export interface FleetDevice {
  id: string;
  driver: string;
  state: string;
  lastReadingAt?: string;
  error?: string;
}

/** An agent's retained heartbeat (the protocol's `up/status`). */
export interface AgentHeartbeat {
  state: 'online' | 'offline' | 'revoked' | 'degraded';
  sentAt: string;
  version: string;
  queue: { depth: number; bytes: number; oldestAgeMs: number; alarms: number };
  devices: FleetDevice[];
  configVersion?: number;
}

/** One edge agent as the fleet API lists it (alerting/src/fleet/agent-list.ts). */
export interface FleetAgent {
  id: string;
  state: 'active' | 'revoked';
  label: string | null;
  version: string | null;
  enrolledAt: string;
  revokedAt: string | null;
  /** Connected to the broker now and not reporting itself offline. */
  online: boolean;
  connectedAt: string | null;
  disconnectedAt: string | null;
  status: AgentHeartbeat | null;
  statusAt: string | null;
  config: { version: number; ackedVersion: number | null; applied: boolean };
}

/** A one-time enrollment token, shown once. */
export interface EnrollmentToken {
  id: string;
  token: string;
  expiresAt: string;
}

/** What the fleet view shows as an agent's state: its own report wins over "connected". */
export function agentState(agent: FleetAgent): 'online' | 'offline' | 'degraded' | 'revoked' {
  if (agent.state === 'revoked') {
    return 'revoked';
  }
  if (!agent.online) {
    return 'offline';
  }

  return agent.status?.state === 'degraded' ? 'degraded' : 'online';
}

/** Every agent of the fleet. */
export async function listAgents(): Promise<FleetAgent[]> {
  const body = await requestJson<{ agents: FleetAgent[] }>(`${FLEET_BASE}/agents`);

  return body.agents;
}

/** Creates a one-time token to enroll a new agent. */
export function createEnrollmentToken(input: {
  label?: string;
  ttlSeconds: number;
}): Promise<EnrollmentToken> {
  return requestJson<EnrollmentToken>(`${FLEET_BASE}/tokens`, { method: 'POST', body: input });
}

/** Revokes an agent: its certificate and keys stop working at once. */
export function revokeAgent(agentId: string, reason: string): Promise<unknown> {
  return requestJson(`${FLEET_BASE}/agents/${encodeURIComponent(agentId)}/revoke`, {
    method: 'POST',
    body: { reason },
  });
}

/** Pushes a configuration to an agent (retained on its `down/config` topic). */
export function pushAgentConfig(
  agentId: string,
  config: Record<string, unknown>,
): Promise<{ agentId: string; version: number; issuedAt: string }> {
  return requestJson(`${FLEET_BASE}/agents/${encodeURIComponent(agentId)}/config`, {
    method: 'PUT',
    body: { config },
  });
}
