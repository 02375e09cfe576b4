import type { AgentStatus } from '@sparkden/protocol';

import type { Queryable } from '../db/index.js';

/** One agent as the IT fleet view shows it. */
export interface AgentSummary {
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
  /** The last heartbeat: queue depth, oldest age, devices, versions. */
  status: AgentStatus | null;
  statusAt: string | null;
  certificate: { serial: string; notAfter: string };
  config: { version: number; ackedVersion: number | null; applied: boolean };
}

interface AgentRow {
  id: string;
  state: 'active' | 'revoked';
  label: string | null;
  version: string | null;
  enrolled_at: Date | string;
  revoked_at: Date | string | null;
  connected: boolean;
  connected_at: Date | string | null;
  disconnected_at: Date | string | null;
  last_status: AgentStatus | null;
  last_status_at: Date | string | null;
  cert_serial: string;
  cert_not_after: Date | string;
  config_version: number;
  config_acked_version: number | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

function toSummary(r: AgentRow): AgentSummary {
  const reportsOffline = r.last_status?.state === 'offline';

  return {
    id: r.id,
    state: r.state,
    label: r.label,
    version: r.version,
    enrolledAt: iso(r.enrolled_at)!,
    revokedAt: iso(r.revoked_at),
    online: r.state === 'active' && r.connected && !reportsOffline,
    connectedAt: iso(r.connected_at),
    disconnectedAt: iso(r.disconnected_at),
    status: r.last_status,
    statusAt: iso(r.last_status_at),
    certificate: { serial: r.cert_serial, notAfter: iso(r.cert_not_after)! },
    config: {
      version: r.config_version,
      ackedVersion: r.config_acked_version,
      applied: r.config_version === 0 || r.config_acked_version === r.config_version,
    },
  };
}

/** Reads every agent, newest enrollment first. */
export async function readAgents(q: Queryable): Promise<AgentSummary[]> {
  const { rows } = await q.query<AgentRow>(
    `select id, state, label, version, enrolled_at, revoked_at, connected, connected_at,
            disconnected_at, last_status, last_status_at, cert_serial, cert_not_after,
            config_version, config_acked_version
     from fleet.agent
     order by enrolled_at desc, id`,
  );

  return rows.map(toSummary);
}
