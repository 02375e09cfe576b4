import { session } from '../api/session.js';
import { deviceLabel, listDevices } from '../api/devices.js';
import { fetchLatest } from '../api/observations.js';
import { isJoinable, listUpcomingVisits, visitUrl } from '../api/scheduling.js';
import { useLoad, useNow } from '../hooks.js';
import { formatAgo, formatClock } from '../model/format.js';
import { findVital, formatVital } from '../model/vitals.js';
import { hrefOf } from '../router.js';
import { TrendPanel } from './patient-chart-view.js';
import { ViewHeading } from './view-heading.js';
import { Failure } from './worklist-view.js';

/** The patient's own page: latest readings, trends, upcoming visits and devices. */
export function PortalView() {
  const patientId = session.current()?.patientId;
  if (!patientId) {
    return (
      <section>
        <ViewHeading title="My health" />
        <p class="error">This account is not linked to a patient record.</p>
      </section>
    );
  }

  return <Portal patientId={patientId} />;
}

function Portal({ patientId }: { patientId: string }) {
  const now = useNow(30_000);
  const latest = useLoad(() => fetchLatest(patientId), [patientId], 60_000);
  const visits = useLoad(() => listUpcomingVisits(patientId), [patientId], 60_000);
  const devices = useLoad(() => listDevices(patientId), [patientId], 300_000);
  const seen = latest.data?.devices ?? [];
  const registered = devices.data ?? [];
  // Devices registered to the patient, with the last time each reported; then any device
  // heard from that is not registered (yet).
  const rows = [
    ...registered.map((d) => {
      const ids = [d.id, d.serialNumber, ...(d.identifier ?? []).map((i) => i.value)];
      const heard = seen.find((s) => ids.includes(s.deviceId));

      return { key: d.id ?? deviceLabel(d), label: deviceLabel(d), lastAt: heard?.lastAt };
    }),
    ...seen
      .filter((s) => !registered.some((d) => d.id === s.deviceId || d.serialNumber === s.deviceId))
      .map((s) => ({ key: s.deviceId, label: s.model ?? s.deviceId, lastAt: s.lastAt })),
  ];

  return (
    <section>
      <ViewHeading title="My health" />
      <section aria-labelledby="latest-title">
        <h2 id="latest-title">My latest readings</h2>
        <Failure error={latest.error} what="readings" />
        {latest.data?.readings.length === 0 ? <p class="card">No readings yet.</p> : null}
        <ul class="readings">
          {(latest.data?.readings ?? []).map((r) => {
            // A patient's own reading is shown plainly, never painted as alarming: what
            // counts as a concern for them is their care team's call, made on the hub.
            const info = findVital(r.code);

            return (
              <li class="reading" key={r.code}>
                <div>{info?.label ?? r.code}</div>
                <div class="value">{formatVital(info, r.value)}</div>
                <div class="meta">{formatAgo(r.at, now)}</div>
              </li>
            );
          })}
        </ul>
      </section>
      <div class="two-col">
        <section class="card" aria-labelledby="visits-title">
          <h2 id="visits-title">Upcoming visits</h2>
          <Failure error={visits.error} what="visits" />
          {visits.data?.length === 0 ? <p>No upcoming visits.</p> : null}
          <ul class="messages">
            {(visits.data ?? []).map((a) => (
              <li key={a.id}>
                <strong>{a.start ? formatClock(a.start, now) : 'Time to be confirmed'}</strong>{' '}
                {a.description ?? 'Video visit'}{' '}
                {a.id && isJoinable(a, now) ? (
                  <a class="button primary" href={visitUrl(a.id)}>
                    Join video visit
                  </a>
                ) : (
                  <span class="meta">You can join 15 minutes before it starts.</span>
                )}
              </li>
            ))}
          </ul>
        </section>
        <section class="card" aria-labelledby="devices-title">
          <h2 id="devices-title">My devices</h2>
          <Failure error={devices.error} what="devices" />
          {devices.data && latest.data && rows.length === 0 ? (
            <p>No devices are linked to you yet.</p>
          ) : null}
          <ul class="messages">
            {rows.map((d) => (
              <li key={d.key}>
                <strong>{d.label}</strong>
                <div class="meta">
                  Last reported:{' '}
                  {d.lastAt
                    ? `${formatAgo(d.lastAt, now)} (${formatClock(d.lastAt, now)})`
                    : 'not recently'}
                </div>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <p>
        <a href={hrefOf('messages')}>Send a secure message to your care team</a>
      </p>
      <section aria-labelledby="trends-title">
        <h2 id="trends-title">My trends</h2>
        <TrendPanel patientId={patientId} headingLevel={3} />
      </section>
    </section>
  );
}
