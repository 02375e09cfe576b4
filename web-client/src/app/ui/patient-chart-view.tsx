import { useMemo, useState } from 'preact/hooks';

import { fetchThresholds, listOpenAlerts } from '../api/alerting.js';
import { fetchObservations, toPoints } from '../api/observations.js';
import { session } from '../api/session.js';
import { useLoad } from '../hooks.js';
import { formatClock, formatDuration } from '../model/format.js';
import { buildSeries, fitSpanMs, valueRange, type Point, type Series } from '../model/series.js';
import { VITALS, formatVital, type Threshold, type VitalInfo } from '../model/vitals.js';
import { hrefOf } from '../router.js';
import { usePatientLabel } from './use-patient-label.js';
import { ChartLegend, VitalsChart } from './vitals-chart.js';
import { ViewHeading } from './view-heading.js';

const RANGES = [
  { id: 'fit', label: 'Fit to readings (up to 7 days)', ms: 7 * 24 * 3_600_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
] as const;

const FIT_SPANS = RANGES.filter((r) => r.id !== 'fit').map((r) => r.ms);

/** How many cadences of silence count as a data gap. */
const GAP_FACTOR = 5;

/** A patient's vitals trends, with ranges, thresholds, gaps and devices shown. */
export function PatientChartView({ patientId }: { patientId: string }) {
  const name = usePatientLabel(patientId);
  const alerts = useLoad(() => listOpenAlerts(patientId), [patientId], 30_000);

  return (
    <section>
      {/* The window title stays neutral: it lands in history, task switchers and screen
          shares, where a patient's name must not. */}
      <ViewHeading title="Patient chart">Chart: {name}</ViewHeading>
      {alerts.data && alerts.data.length > 0 ? (
        <p class="notice">
          {alerts.data.length} open {alerts.data.length === 1 ? 'alert' : 'alerts'} for this
          patient. <a href={hrefOf('console')}>Go to the alert console</a>
        </p>
      ) : null}
      <TrendPanel patientId={patientId} />
    </section>
  );
}

/** The period picker and one chart per vital with data; used by the chart and the portal. */
export function TrendPanel({
  patientId,
  headingLevel = 2,
}: {
  patientId: string;
  headingLevel?: 2 | 3;
}) {
  const [rangeId, setRangeId] = useState<(typeof RANGES)[number]['id']>(
    // A patient's page opens on a period that fits their readings, so a few recent ones are
    // not squeezed against the edge of a week.
    headingLevel === 2 ? '1h' : 'fit',
  );
  const range = RANGES.find((r) => r.id === rangeId) ?? RANGES[0];
  const loaded = useLoad(
    async () => {
      const until = Date.now();
      const fetchFrom = until - range.ms;
      const [thresholds, results] = await Promise.all([
        loadThresholds(patientId),
        Promise.allSettled(VITALS.map((v) => fetchObservations(patientId, v.code, fetchFrom))),
      ]);
      const points = new Map<string, Point[]>();
      for (const r of results) {
        if (r.status === 'fulfilled') {
          for (const [code, list] of toPoints(r.value)) {
            points.set(code, [...(points.get(code) ?? []), ...list]);
          }
        }
      }
      const failed = results.filter((r) => r.status === 'rejected').length;
      const earliest = Math.min(...[...points.values()].flat().map((p) => p.at));
      const from = rangeId === 'fit' ? until - fitSpanMs(until - earliest, FIT_SPANS) : fetchFrom;

      return { from, until, points, failed, thresholds };
    },
    [patientId, rangeId],
    30_000,
  );
  const limits = loaded.data?.thresholds;
  const selectId = `range-${patientId}`;

  return (
    <div>
      <div class="toolbar">
        <label for={selectId}>Period</label>
        <select
          id={selectId}
          style={{ width: 'auto' }}
          value={rangeId}
          onChange={(e) => setRangeId(e.currentTarget.value as typeof rangeId)}
        >
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      {loaded.error ? (
        <p class="error" role="alert">
          Could not load readings: {loaded.error.message}
        </p>
      ) : null}
      {limits?.kind === 'unavailable' ? (
        <p class="error" role="alert" data-testid="thresholds-unavailable">
          Alert thresholds unavailable: the hub's rules could not be read ({limits.reason}). No
          alert lines are drawn on these charts.
        </p>
      ) : null}
      {limits?.kind === 'patient' ? (
        <p class="hint" data-testid="thresholds-patient">
          Your care team sets when a reading needs their attention; those limits are not drawn here.
        </p>
      ) : null}
      {loaded.data?.failed === VITALS.length ? (
        <p class="error" role="alert">
          Could not load readings. Charts will appear when the hub answers.
        </p>
      ) : loaded.data?.failed ? (
        <p class="error">Some vitals could not be loaded; the charts below may be incomplete.</p>
      ) : null}
      {loaded.data?.failed === VITALS.length ? null : loaded.data ? (
        <Charts
          from={loaded.data.from}
          until={loaded.data.until}
          points={loaded.data.points}
          thresholds={loaded.data.thresholds}
          headingLevel={headingLevel}
        />
      ) : (
        <p role="status">Loading readings…</p>
      )}
    </div>
  );
}

/** The alert lines a chart may draw: the hub's rules, or none, and why. */
type Limits =
  | { kind: 'hub'; byCode: Map<string, Threshold[]> }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'patient' };

/**
 * The hub's thresholds for staff. A patient sees no alert lines and no reference band: the
 * rules are staff data, and the client never invents limits of its own.
 */
async function loadThresholds(patientId: string): Promise<Limits> {
  if (session.current()?.role === 'patient') {
    return { kind: 'patient' };
  }

  try {
    return { kind: 'hub', byCode: await fetchThresholds(patientId) };
  } catch (error) {
    return { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
  }
}

function Charts(props: {
  from: number;
  until: number;
  points: Map<string, Point[]>;
  thresholds: Limits;
  headingLevel: 2 | 3;
}) {
  const charts = useMemo(
    () =>
      VITALS.flatMap((base) => {
        const list = props.points.get(base.code);
        const limits = props.thresholds;
        const info: VitalInfo = {
          ...base,
          thresholds: limits.kind === 'hub' ? (limits.byCode.get(base.code) ?? []) : [],
          band: limits.kind === 'patient' ? undefined : base.band,
        };
        if (!list || list.length === 0) {
          return [];
        }
        const series = buildSeries(list, {
          maxGapMs: info.cadenceMs * GAP_FACTOR,
          from: props.from,
          until: props.until,
        });

        return [{ info, series }];
      }),
    [props.points, props.thresholds, props.from, props.until],
  );
  const empty = VITALS.filter((v) => !props.points.get(v.code)?.length).map((v) => v.label);

  return (
    <>
      <div class="chart-grid">
        {charts.map(({ info, series }) => (
          <ChartCard
            key={info.code}
            info={info}
            series={series}
            from={props.from}
            until={props.until}
            headingLevel={props.headingLevel}
          />
        ))}
      </div>
      {charts.length === 0 ? <p class="card">No readings in this period.</p> : null}
      {empty.length > 0 && charts.length > 0 ? (
        <p class="meta">No readings in this period: {empty.join(', ')}.</p>
      ) : null}
    </>
  );
}

function ChartCard(props: {
  info: VitalInfo;
  series: Series;
  from: number;
  until: number;
  headingLevel: 2 | 3;
}) {
  const { info, series } = props;
  const Heading = props.headingLevel === 2 ? 'h2' : 'h3';
  const headingId = `chart-${info.code}`;
  const values = series.y.filter((v): v is number => v !== null);
  const latest = values[values.length - 1];
  const span = valueRange(series.y);

  return (
    <section class="card chart-card" aria-labelledby={headingId} data-vital={info.code}>
      <figure>
        <figcaption>
          <Heading id={headingId}>{info.label}</Heading>
          <span>
            Latest {latest === undefined ? '–' : formatVital(info, latest)}
            {span ? `; range ${formatVital(info, span[0])} to ${formatVital(info, span[1])}` : ''}
            {`; ${countOf(values.length, 'reading')}`}
            {series.gaps.length > 0 ? `; ${countOf(series.gaps.length, 'gap')} in the data` : ''}
          </span>
        </figcaption>
        <VitalsChart
          info={info}
          series={series}
          from={props.from}
          until={props.until}
          labelledBy={headingId}
        />
        <ChartLegend info={info} />
      </figure>
      <details>
        <summary>Gaps and devices</summary>
        <ul>
          {series.devices.map((d, i) => (
            <li key={`d${i}`}>
              Device {d.deviceId}: {formatClock(d.from)} to {formatClock(d.to)}
            </li>
          ))}
          {series.gaps.map((g, i) => (
            <li key={`g${i}`}>
              No data {formatClock(g.from)} to {formatClock(g.to)} ({formatDuration(g.to - g.from)})
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
