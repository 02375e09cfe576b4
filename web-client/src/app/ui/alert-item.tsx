import { useState } from 'preact/hooks';

import { refusalText, type AlertCommand } from '../api/console-socket.js';
import { session } from '../api/session.js';
import { acknowledgerLabel, isSilenced, isUrgent, type Alert } from '../model/alerts.js';
import { formatAgo, formatClock } from '../model/format.js';
import { readNews2 } from '../model/news2.js';
import { findVital, formatVital } from '../model/vitals.js';
import { News2Table } from './news2-table.js';

/** Sends a command for an alert; resolves when the hub acknowledges it. */
export type RunCommand = (name: AlertCommand, payload: Record<string, unknown>) => Promise<void>;

const SEVERITY_LABELS: Record<string, string> = {
  urgent: 'Urgent',
  high: 'High',
  medium: 'Medium',
  'low-medium': 'Low–medium',
  low: 'Low',
  info: 'Info',
};

const NON_ACTIONABLE_REASONS = [
  ['artifact', 'Artifact or motion'],
  ['probe-off', 'Probe or cuff off'],
  ['expected', 'Expected for this patient'],
  ['duplicate', 'Duplicate'],
] as const;

/** One alert with its explanation and the actions a nurse may take. */
export function AlertItem({ alert, now, run }: { alert: Alert; now: number; run: RunCommand }) {
  const [busy, setBusy] = useState<AlertCommand | undefined>();
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const [silenceMinutes, setSilenceMinutes] = useState('30');
  const [reason, setReason] = useState<string>(NON_ACTIONABLE_REASONS[0][0]);
  const urgent = isUrgent(alert.severity);
  const news2 = readNews2(alert.explanation);
  const silenced = isSilenced(alert);
  const titleId = `alert-${alert.id}-title`;
  // While a command runs the buttons say so with aria-disabled rather than `disabled`: a
  // disabled button drops its focus, and a keyboard user would start again from the top.

  const act = async (name: AlertCommand, done: string, extra?: Record<string, unknown>) => {
    if (busy !== undefined) {
      return;
    }

    setBusy(name);
    setMessage(undefined);
    try {
      await run(name, { alertId: alert.id, ...extra });
      setMessage({ text: done, error: false });
    } catch (error) {
      setMessage({ text: refusalText(error), error: true });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <li
      class="alert"
      aria-labelledby={titleId}
      data-alert-id={alert.id}
      data-state={alert.status}
      data-severity={alert.severity}
    >
      <div class="alert-head">
        <span class={`sev sev-${alert.severity}`}>
          {SEVERITY_LABELS[alert.severity] ?? alert.severity}
        </span>
        <h3 id={titleId} class="alert-title">
          {alert.title}
        </h3>
        <span class="state">{stateText(alert, now, silenced)}</span>
      </div>
      <p class="meta">
        Raised {formatClock(alert.raisedAt, now)} ({formatAgo(alert.raisedAt, now)})
        {alert.occurrences && alert.occurrences > 1 ? ` · fired ${alert.occurrences} times` : ''}
        {alert.escalation && (alert.escalation.step > 0 || alert.escalation.round > 0)
          ? ` · escalated to ${alert.escalation.target}`
          : ''}
        {alert.clearedAt ? ` · condition cleared ${formatClock(alert.clearedAt, now)}` : ''}
        {alert.nonActionable ? ' · marked not actionable' : ''}
      </p>
      {alert.explanation ? <Explanation alert={alert} /> : null}
      {news2 ? <News2Table news2={news2} /> : null}
      {alert.status === 'resolved' ? null : (
        <div class="alert-actions">
          {alert.status === 'firing' ? (
            <button
              type="button"
              class="primary"
              aria-disabled={busy !== undefined}
              onClick={() => void act('acknowledge', 'Acknowledged.')}
            >
              Acknowledge
            </button>
          ) : (
            <button
              type="button"
              aria-disabled={busy !== undefined}
              onClick={() => void act('resolve', 'Resolved.')}
            >
              Resolve
            </button>
          )}
          <button
            type="button"
            aria-disabled={busy !== undefined}
            onClick={() => void act('escalate', 'Escalated to the next person on the policy.')}
          >
            Escalate
          </button>
          <details>
            <summary class="button">More actions</summary>
            <div class="card">
              {urgent ? (
                <p class="hint">Urgent alerts cannot be silenced.</p>
              ) : (
                <div class="toolbar">
                  <div>
                    <label for={`silence-${alert.id}`}>Silence for</label>
                    <select
                      id={`silence-${alert.id}`}
                      value={silenceMinutes}
                      onChange={(e) => setSilenceMinutes(e.currentTarget.value)}
                    >
                      <option value="15">15 minutes</option>
                      <option value="30">30 minutes</option>
                      <option value="60">1 hour</option>
                      <option value="240">4 hours</option>
                    </select>
                  </div>
                  <button
                    type="button"
                    aria-disabled={busy !== undefined}
                    onClick={() => {
                      const minutes = Number(silenceMinutes);
                      // A silence is a scope, not a state of one alert: this patient and rule.
                      void act(
                        'silence',
                        `Silenced this rule for this patient for ${minutes} minutes.`,
                        {
                          alertId: undefined,
                          patientId: alert.patientId,
                          ruleId: alert.ruleId,
                          code: alert.code,
                          endsAt: new Date(Date.now() + minutes * 60_000).toISOString(),
                        },
                      );
                    }}
                  >
                    Silence
                  </button>
                </div>
              )}
              <div class="toolbar">
                <div>
                  <label for={`reason-${alert.id}`}>Not actionable because</label>
                  <select
                    id={`reason-${alert.id}`}
                    value={reason}
                    onChange={(e) => setReason(e.currentTarget.value)}
                  >
                    {NON_ACTIONABLE_REASONS.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
                <button
                  type="button"
                  disabled={alert.nonActionable === true}
                  aria-disabled={busy !== undefined}
                  onClick={() =>
                    void act('markNonActionable', 'Marked not actionable.', { reason })
                  }
                >
                  Mark not actionable
                </button>
              </div>
            </div>
          </details>
        </div>
      )}
      <p class={message?.error ? 'error' : 'hint'} role="status" hidden={!message}>
        {message?.text}
      </p>
    </li>
  );
}

function stateText(alert: Alert, now: number, silenced: boolean): string {
  if (alert.status === 'resolved') {
    return `Resolved ${alert.resolvedAt ? formatClock(alert.resolvedAt, now) : ''}`.trim();
  }
  if (alert.status === 'acknowledged') {
    const who = acknowledgerLabel(alert, session.current()?.sub);
    const by = who === undefined ? '' : ` by ${who}`;
    const at = alert.acknowledgedAt ? ` at ${formatClock(alert.acknowledgedAt, now)}` : '';

    return `Acknowledged${by}${at}`;
  }
  if (silenced) {
    const until = alert.silencedUntil ? ` until ${formatClock(alert.silencedUntil, now)}` : '';

    return `Not acknowledged (silenced${until})`;
  }

  return 'Not acknowledged';
}

function Explanation({ alert }: { alert: Alert }) {
  const e = alert.explanation;
  if (!e) {
    return null;
  }
  const evidence = e.ruleKind === 'news2' ? [] : e.evidence.slice(0, 4);

  return (
    <div>
      <p>{e.summary}</p>
      {evidence.length > 0 ? (
        <ul class="meta">
          {evidence.map((v, i) => {
            const info = findVital(v.code);
            const value =
              typeof v.value === 'number'
                ? formatVital(info, v.value)
                : `${v.value} ${v.unit ?? ''}`;

            return (
              <li key={i}>
                {info?.label ?? v.code} {value} at {formatClock(v.at)}
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}
