import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { ConsoleConnection, type ConnectionState } from '../api/console-socket.js';
import { session } from '../api/session.js';
import { useNow } from '../hooks.js';
import {
  groupByPatient,
  isUrgent,
  mergeAlert,
  pruneResolved,
  withSilenceEnd,
  type Alert,
  type AlertEvent,
} from '../model/alerts.js';
import { hrefOf } from '../router.js';
import { AlertItem, type RunCommand } from './alert-item.js';
import { markWatchingAlerts } from './alert-watch.js';
import { AlertSound } from './beep.js';
import { ConnectionStatus } from './connection-status.js';
import { UrgentBanner } from './urgent-banner.js';
import { usePatientLabel } from './use-patient-label.js';
import { ViewHeading } from './view-heading.js';

/** Resolved alerts stay on screen this long, so a nurse sees what just cleared. */
const KEEP_RESOLVED_MS = 5 * 60_000;
/** An unacknowledged urgent alert sounds again this often. */
const REPEAT_URGENT_MS = 30_000;

/**
 * The nurse alert console: live alerts for the nurse's units, urgent first and grouped by
 * patient, with a banner and a tone for new urgent alerts and a clear connection state.
 */
export function ConsoleView() {
  const held = useRef(new Map<string, Alert>());
  const [version, setVersion] = useState(0);
  const [conn, setConn] = useState<ConnectionState>('connecting');
  const [soundReady, setSoundReady] = useState(true);
  const linkRef = useRef<ConsoleConnection | undefined>(undefined);
  const sound = useMemo(() => new AlertSound(), []);
  const now = useNow(5000);

  useEffect(() => {
    let live = true;
    const known = held.current;
    const bump = () => live && setVersion((v) => v + 1);
    const onSnapshot = (alerts: Alert[]) => {
      known.clear();
      for (const alert of alerts) {
        mergeAlert(known, alert);
      }
      bump();
    };
    const onAlert = (incoming: Alert, event: AlertEvent) => {
      const before = known.get(incoming.id);
      const alert = withSilenceEnd(event, before);
      if (!mergeAlert(known, alert)) {
        return;
      }
      // An alert that is new, or that has just become urgent (NEWS2 rising a band), sounds.
      const wasUrgent = before !== undefined && isUrgent(before.severity);
      const isNewUrgent = !wasUrgent && alert.status === 'firing' && isUrgent(alert.severity);
      if (isNewUrgent) {
        void sound.playUrgent().then((ok) => live && setSoundReady(ok));
      }
      bump();
    };

    const link = new ConsoleConnection({
      onSnapshot,
      onAlert,
      onState: (s) => live && setConn(s),
    });
    linkRef.current = link;
    void sound.unlock().then((ok) => live && setSoundReady(ok));

    return () => {
      live = false;
      link.close();
      sound.close();
    };
  }, [sound]);

  const alerts = [...held.current.values()];
  const urgentFiring = alerts.filter((a) => a.status === 'firing' && isUrgent(a.severity));
  const urgentCount = urgentFiring.length;
  const unacknowledged = alerts.some((a) => a.status === 'firing');
  // A console that is live, or that holds an alert nobody has acknowledged, is being watched
  // even when nobody touches it: it keeps the session from idling out (the absolute limit
  // still applies). A console that has lost its link and holds nothing open may idle out.
  const keepsSession = conn === 'live' || conn === 'replaying' || unacknowledged;

  useEffect(() => markWatchingAlerts(), []);
  useEffect(() => (keepsSession ? session.holdIdle() : undefined), [keepsSession]);

  useEffect(() => {
    pruneResolved(held.current, now, KEEP_RESOLVED_MS);
  }, [now]);
  useEffect(() => {
    if (urgentCount === 0) {
      return undefined;
    }
    const timer = setInterval(() => void sound.playUrgent(), REPEAT_URGENT_MS);

    return () => clearInterval(timer);
  }, [urgentCount, sound]);

  const groups = useMemo(() => groupByPatient(alerts), [version, now]);
  const run: RunCommand = async (name, payload) => {
    const link = linkRef.current;
    if (!link) {
      throw new Error('Not connected.');
    }
    const updated = await link.command(name, payload);
    if (updated) {
      mergeAlert(held.current, updated);
      setVersion((v) => v + 1);
    }
  };

  return (
    <section aria-labelledby="console-title" data-sounds-played={sound.played}>
      <div class="toolbar">
        <ViewHeading title="Alert console">
          <span id="console-title">Alert console</span>
        </ViewHeading>
        <ConnectionStatus state={conn} />
        {soundReady ? null : (
          <button
            type="button"
            class="danger"
            onClick={() => void sound.unlock().then(setSoundReady)}
          >
            Enable alert sound
          </button>
        )}
      </div>
      <UrgentBanner alerts={urgentFiring} />
      {conn === 'reconnecting' || conn === 'offline' ? (
        <p class="banner-stale" role="alert">
          Connection to the hub lost. Alerts on this screen are not updating
          {conn === 'reconnecting'
            ? '; reconnecting, and missed alerts will be replayed.'
            : '.'}{' '}
          Use another console or the phone escalation until this clears.
        </p>
      ) : null}
      {groups.length === 0 ? (
        <p class="card" data-empty="true">
          {conn === 'live' ? 'No open alerts for your units.' : 'Waiting for the hub…'}
        </p>
      ) : (
        groups.map((g) => (
          <PatientGroupCard
            key={g.patientId}
            patientId={g.patientId}
            label={g.patientLabel}
            worst={g.worst}
            alerts={g.alerts}
            now={now}
            run={run}
          />
        ))
      )}
    </section>
  );
}

function PatientGroupCard(props: {
  patientId: string;
  label?: string;
  worst: string;
  alerts: Alert[];
  now: number;
  run: RunCommand;
}) {
  const name = usePatientLabel(props.patientId, props.label);
  const headingId = `patient-${props.patientId}-alerts`;
  const open = props.alerts.filter((a) => a.status !== 'resolved').length;

  return (
    <section
      class={`card patient-group worst-${props.worst}`}
      aria-labelledby={headingId}
      data-patient-id={props.patientId}
    >
      <header>
        <h2 id={headingId}>{name}</h2>
        <span class="meta">
          {open} open {open === 1 ? 'alert' : 'alerts'}
        </span>
        <a href={hrefOf(`patient/${encodeURIComponent(props.patientId)}`)}>
          Open chart<span class="visually-hidden"> for {name}</span>
        </a>
      </header>
      <ul class="alerts">
        {props.alerts.map((a) => (
          <AlertItem key={a.id} alert={a} now={props.now} run={props.run} />
        ))}
      </ul>
    </section>
  );
}
