import { useState } from 'preact/hooks';

import {
  agentState,
  createEnrollmentToken,
  listAgents,
  pushAgentConfig,
  revokeAgent,
  type EnrollmentToken,
  type FleetAgent,
} from '../api/fleet.js';
import { useLoad, useNow } from '../hooks.js';
import { formatAgo, formatDuration } from '../model/format.js';
import { ViewHeading } from './view-heading.js';
import { Failure } from './worklist-view.js';

/** A queue older than this is worth a look: the agent is not getting data to the hub. */
const STALE_QUEUE_MS = 5 * 60_000;

const STATE_CLASS: Record<string, string> = {
  online: 'sev-low',
  degraded: 'sev-medium',
  offline: 'sev-high',
  revoked: 'sev-info',
};

/** The IT fleet view: every edge agent, its health, and enrollment, revocation and config. */
export function FleetView() {
  const now = useNow(10_000);
  const agents = useLoad(() => listAgents(), [], 10_000);
  const [selected, setSelected] = useState<{ agent: FleetAgent; action: 'revoke' | 'config' }>();
  const [status, setStatus] = useState<string>();

  return (
    <section>
      <ViewHeading title="Edge fleet" />
      <p class="visually-hidden" role="status">
        {status}
      </p>
      <Enroll />
      <section aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        <Failure error={agents.error} what="agents" />
        {agents.data?.length === 0 ? <p class="card">No agents enrolled yet.</p> : null}
        {agents.data && agents.data.length > 0 ? (
          <div class="table-wrap fleet-agents">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">
                    Queue depth
                  </th>
                  <th scope="col">Oldest queued</th>
                  <th scope="col">Devices</th>
                  <th scope="col">Version</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {agents.data.map((a) => (
                  <AgentRow
                    key={a.id}
                    agent={a}
                    now={now}
                    onAction={(action) => setSelected({ agent: a, action })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {selected?.action === 'revoke' ? (
        <RevokeForm
          agent={selected.agent}
          onDone={(msg) => {
            setSelected(undefined);
            setStatus(msg);
            agents.reload();
          }}
        />
      ) : null}
      {selected?.action === 'config' ? (
        <ConfigForm
          agent={selected.agent}
          onDone={(msg) => {
            setSelected(undefined);
            setStatus(msg);
            agents.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function AgentRow(props: {
  agent: FleetAgent;
  now: number;
  onAction: (action: 'revoke' | 'config') => void;
}) {
  const { agent: a, now } = props;
  const queue = a.status?.queue;
  const oldest = queue?.oldestAgeMs ?? 0;
  const devices = a.status?.devices ?? [];
  const name = a.label ?? a.id;
  const state = agentState(a);
  const seenAt = a.statusAt ?? a.disconnectedAt ?? a.connectedAt;

  return (
    <tr data-agent-id={a.id} data-state={state}>
      <th scope="row">
        {name}
        {a.label ? <div class="meta">{a.id}</div> : null}
        {seenAt ? <div class="meta">heard from {formatAgo(seenAt, now)}</div> : null}
      </th>
      <td>
        <span class={`sev ${STATE_CLASS[state] ?? 'sev-info'}`}>{state}</span>
      </td>
      <td class="num">{queue?.depth ?? '–'}</td>
      <td class={oldest > STALE_QUEUE_MS ? 'out-of-range' : undefined}>
        {queue === undefined ? '–' : queue.depth > 0 ? formatDuration(oldest) : 'empty'}
      </td>
      <td>
        {devices.length === 0 ? (
          'none reported'
        ) : (
          <ul class="messages">
            {devices.map((d) => (
              <li key={d.id}>
                {d.id} ({d.driver}): {d.state}
                {d.lastReadingAt ? `, last reading ${formatAgo(d.lastReadingAt, now)}` : ''}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        {a.status?.version ?? a.version ?? '–'}
        <div class="meta">
          config v{a.config.version}
          {a.config.applied ? ' (applied)' : ` (agent runs v${a.config.ackedVersion ?? 0})`}
        </div>
      </td>
      <td>
        {a.state === 'revoked' ? (
          <span class="meta">revoked</span>
        ) : (
          <div class="alert-actions">
            <button type="button" onClick={() => props.onAction('config')}>
              Push config<span class="visually-hidden"> to {name}</span>
            </button>
            <button type="button" class="danger" onClick={() => props.onAction('revoke')}>
              Revoke<span class="visually-hidden"> {name}</span>
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}

function Enroll() {
  const [label, setLabel] = useState('');
  const [ttl, setTtl] = useState('3600');
  const [token, setToken] = useState<EnrollmentToken>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setToken(
        await createEnrollmentToken({ label: label.trim() || undefined, ttlSeconds: Number(ttl) }),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="enroll-title">
      <h2 id="enroll-title">Enroll a new agent</h2>
      <form onSubmit={(e) => void submit(e)}>
        <div class="toolbar">
          <div>
            <label for="enroll-label">Label (optional)</label>
            <input
              id="enroll-label"
              value={label}
              maxLength={128}
              aria-describedby="enroll-hint"
              onInput={(e) => setLabel(e.currentTarget.value)}
            />
          </div>
          <div>
            <label for="enroll-ttl">Token valid for</label>
            <select id="enroll-ttl" value={ttl} onChange={(e) => setTtl(e.currentTarget.value)}>
              <option value="900">15 minutes</option>
              <option value="3600">1 hour</option>
              <option value="86400">1 day</option>
            </select>
          </div>
          <button class="primary" type="submit" disabled={busy}>
            Create one-time token
          </button>
        </div>
        <p id="enroll-hint" class="hint">
          The token works once. Give it to the agent with{' '}
          <code>sparkden-agent enroll --token …</code>.
        </p>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {token ? (
        <div role="status">
          <p>
            One-time token, valid until {new Date(token.expiresAt).toLocaleString()}. It will not be
            shown again.
          </p>
          <p class="token" data-testid="enroll-token">
            {token.token}
          </p>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(token.token)}>
            Copy token
          </button>
        </div>
      ) : null}
    </section>
  );
}

function RevokeForm({ agent, onDone }: { agent: FleetAgent; onDone: (msg: string) => void }) {
  const [reason, setReason] = useState('decommissioned');
  const [error, setError] = useState<string>();
  const name = agent.label ?? agent.id;

  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await revokeAgent(agent.id, reason);
      onDone(`Agent ${name} revoked.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section class="card" aria-labelledby="revoke-title">
      <h2 id="revoke-title">Revoke {name}</h2>
      <p>
        The agent's certificate and keys stop working at once. Readings still queued on it are lost
        unless it is enrolled again.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="revoke-reason">Reason</label>
          <select
            id="revoke-reason"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          >
            <option value="decommissioned">Decommissioned</option>
            <option value="lost-or-stolen">Lost or stolen</option>
            <option value="compromised">Key compromised</option>
          </select>
        </div>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="alert-actions">
          <button class="danger" type="submit">
            Revoke agent
          </button>
          <button type="button" onClick={() => onDone('Revocation cancelled.')}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

const CONFIG_EXAMPLE = JSON.stringify({ uplinkIntervalMs: 5000, logLevel: 'info' }, null, 2);

function ConfigForm({ agent, onDone }: { agent: FleetAgent; onDone: (msg: string) => void }) {
  const [text, setText] = useState(CONFIG_EXAMPLE);
  const [error, setError] = useState<string>();
  const name = agent.label ?? agent.id;

  const submit = async (event: Event) => {
    event.preventDefault();
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      setError('The configuration is not valid JSON.');
      return;
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      setError('The configuration must be a JSON object.');
      return;
    }
    try {
      const result = await pushAgentConfig(agent.id, config as Record<string, unknown>);
      onDone(`Configuration v${result.version} pushed to ${name}.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section class="card" aria-labelledby="config-title">
      <h2 id="config-title">Push configuration to {name}</h2>
      <form onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="config-json">Configuration (JSON)</label>
          <textarea
            id="config-json"
            rows={8}
            value={text}
            aria-describedby="config-hint"
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <p id="config-hint" class="hint">
            Sections the hub may set: <code>devices</code>, <code>alarms</code>, <code>queue</code>,{' '}
            <code>uplink</code>, <code>localAlarm</code>, <code>logLevel</code>. The agent applies
            it on its next connection and reports the version it runs; a configuration it rejects
            shows as a problem on the agent.
          </p>
        </div>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="alert-actions">
          <button class="primary" type="submit">
            Push configuration
          </button>
          <button type="button" onClick={() => onDone('Push cancelled.')}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
