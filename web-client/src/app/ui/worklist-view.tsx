import { listMyOpenAlerts } from '../api/alerting.js';
import { fetchRpmMinutes } from '../api/billing.js';
import { isJoinable, listTodaysVisits, patientOf, visitUrl } from '../api/scheduling.js';
import { useLoad, useNow } from '../hooks.js';
import { groupByPatient } from '../model/alerts.js';
import { formatClock } from '../model/format.js';
import { hrefOf } from '../router.js';
import { usePatientLabel } from './use-patient-label.js';
import { ViewHeading } from './view-heading.js';

/** RPM treatment management (CPT 99457) needs 20 minutes in the month. */
const RPM_MINUTES_TARGET = 20;

/** The clinician's day: today's visits, patients with open alerts, RPM minutes this month. */
export function WorklistView() {
  const now = useNow(30_000);
  const visits = useLoad(() => listTodaysVisits(), [], 60_000);
  const alerts = useLoad(() => listMyOpenAlerts(), [], 30_000);
  const minutes = useLoad(() => fetchRpmMinutes(), [], 300_000);
  const groups = alerts.data ? groupByPatient(alerts.data) : [];

  return (
    <section>
      <ViewHeading title="Worklist" />
      <div class="two-col">
        <section class="card" aria-labelledby="visits-title">
          <h2 id="visits-title">Today's visits</h2>
          <Failure error={visits.error} what="visits" />
          {visits.data?.length === 0 ? <p>No visits today.</p> : null}
          <ul class="messages">
            {(visits.data ?? []).map((a) => (
              <li key={a.id}>
                <strong>{a.start ? formatClock(a.start, now) : 'Unscheduled'}</strong>{' '}
                <PatientName id={patientOf(a)} /> ·{' '}
                {a.description ?? a.serviceType?.[0]?.text ?? 'Visit'}{' '}
                <span class="meta">({a.status ?? 'booked'})</span>{' '}
                {a.id && isJoinable(a, now) ? (
                  <a class="button primary" href={visitUrl(a.id)}>
                    Join
                    <span class="visually-hidden">
                      {' '}
                      visit at {a.start ? formatClock(a.start, now) : ''}
                    </span>
                  </a>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
        <section class="card" aria-labelledby="open-alerts-title">
          <h2 id="open-alerts-title">Patients with open alerts</h2>
          <Failure error={alerts.error} what="alerts" />
          {alerts.data && groups.length === 0 ? <p>No open alerts.</p> : null}
          <ul class="messages">
            {groups.map((g) => (
              <li key={g.patientId}>
                <a href={hrefOf(`patient/${encodeURIComponent(g.patientId)}`)}>
                  <PatientName id={g.patientId} label={g.patientLabel} />
                </a>{' '}
                <span class={`sev sev-${g.worst}`}>{g.worst}</span>{' '}
                <span class="meta">
                  {g.alerts.length} open: {g.alerts[0]?.title}
                </span>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <section class="card" aria-labelledby="rpm-title">
        <h2 id="rpm-title">RPM minutes this month</h2>
        <Failure error={minutes.error} what="RPM minutes" />
        {minutes.data?.length === 0 ? <p>No RPM time recorded this month.</p> : null}
        {minutes.data && minutes.data.length > 0 ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Patient</th>
                  <th scope="col" class="num">
                    Minutes
                  </th>
                  <th scope="col" class="num">
                    Entries
                  </th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {minutes.data.map((m) => (
                  <tr key={m.patientId}>
                    <th scope="row">
                      <PatientName id={m.patientId} />
                    </th>
                    <td class="num">{m.minutes}</td>
                    <td class="num">{m.entries}</td>
                    <td>
                      {m.minutes >= RPM_MINUTES_TARGET
                        ? 'Billable (20 minutes reached)'
                        : `${RPM_MINUTES_TARGET - m.minutes} minutes to go`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </section>
  );
}

function PatientName({ id, label }: { id?: string; label?: string }) {
  const name = usePatientLabel(id ?? '', label ?? (id ? undefined : 'Unknown patient'));

  return <>{name}</>;
}

/** A load failure, said plainly. */
export function Failure({ error, what }: { error?: Error; what: string }) {
  if (!error) {
    return null;
  }

  return (
    <p class="error" role="alert">
      Could not load {what}: {error.message}
    </p>
  );
}
