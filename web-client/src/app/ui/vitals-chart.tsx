import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { Series } from '../model/series.js';
import { valueRange } from '../model/series.js';
import type { VitalInfo } from '../model/vitals.js';

/** Chart colours; each meets 3:1 against white as WCAG 1.4.11 asks of graphics. */
const COLORS = {
  line: '#1a56a8',
  band: 'rgba(29, 107, 56, 0.12)',
  threshold: '#a3131a',
  gap: 'rgba(74, 83, 97, 0.16)',
  gapEdge: '#6b7585',
  device: '#4a5361',
};

const px = (v: number) => String(Math.round(v));

/**
 * Draws what the series alone does not: the reference band and the gaps as hatched
 * stretches behind the line, the alert thresholds as dashed lines in front of it. Where each
 * was drawn (canvas pixels) is kept on the plot's root as `data-gap-x` (`x0-x1` pairs) and
 * `data-threshold-y`, so a browser test can look at those pixels.
 */
function rangesPlugin(info: VitalInfo, series: Series): uPlot.Plugin {
  const band = (u: uPlot) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const drawnGaps: string[] = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (info.band) {
      const y1 = u.valToPos(info.band[1], 'y', true);
      const y0 = u.valToPos(info.band[0], 'y', true);
      ctx.fillStyle = COLORS.band;
      ctx.fillRect(left, y1, width, y0 - y1);
    }
    for (const gap of series.gaps) {
      const x0 = u.valToPos(gap.from / 1000, 'x', true);
      const x1 = u.valToPos(gap.to / 1000, 'x', true);
      ctx.fillStyle = COLORS.gap;
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.strokeStyle = COLORS.gapEdge;
      ctx.setLineDash([2, 3]);
      ctx.strokeRect(x0, top, x1 - x0, height);
      drawnGaps.push(`${px(Math.max(x0, left))}-${px(Math.min(x1, left + width))}`);
    }
    ctx.restore();
    u.root.dataset.gapX = drawnGaps.join(',');
  };
  const lines = (u: uPlot) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    // A change of device is a solid vertical line labelled with the device now reporting.
    ctx.strokeStyle = COLORS.device;
    ctx.fillStyle = COLORS.device;
    ctx.lineWidth = devicePixelRatio;
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const span of series.devices.slice(1)) {
      const x = u.valToPos(span.from / 1000, 'x', true);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(span.deviceId, x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
    }
    ctx.strokeStyle = COLORS.threshold;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([8, 6]);
    const drawnThresholds: string[] = [];
    for (const t of info.thresholds) {
      const y = u.valToPos(t.value, 'y', true);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      drawnThresholds.push(px(y));
    }
    ctx.restore();
    u.root.dataset.thresholdY = drawnThresholds.join(',');
  };

  return { hooks: { drawClear: [band], draw: [lines] } };
}

/** The indices of readings with no reading on either side (nulls mark gaps). */
function isolated(series: Series): number[] {
  const y = series.y;

  return y.flatMap((v, i) =>
    v !== null && (y[i - 1] ?? null) === null && (y[i + 1] ?? null) === null ? [i] : [],
  );
}

function yRange(info: VitalInfo, series: Series): [number, number] {
  const data = valueRange(series.y);
  const marks = info.thresholds.map((t) => t.value);
  const lo = Math.min(info.axis[0], ...marks, data?.[0] ?? Infinity);
  const hi = Math.max(info.axis[1], ...marks, data?.[1] ?? -Infinity);
  const pad = (hi - lo) * 0.05;

  return [lo - pad, hi + pad];
}

/**
 * One vital's trend as an interactive uPlot chart (drag to zoom, double-click to reset), with
 * the reference band, thresholds and gaps drawn in. The canvas is decorative to assistive
 * technology; the figure's caption and the summary beside it carry the same facts as text.
 */
export function VitalsChart(props: {
  info: VitalInfo;
  series: Series;
  from: number;
  until: number;
  labelledBy: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const { info, series, from, until } = props;

  useEffect(() => {
    const el = host.current;
    if (!el) {
      return undefined;
    }
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 220,
      scales: {
        x: { time: true, range: () => [from / 1000, until / 1000] },
        y: { range: () => yRange(info, series) },
      },
      axes: [
        { stroke: '#1b1f24', grid: { stroke: '#e3e6ea' } },
        { stroke: '#1b1f24', grid: { stroke: '#e3e6ea' }, label: info.unit, size: 56 },
      ],
      series: [
        {},
        {
          label: info.label,
          stroke: COLORS.line,
          width: 2,
          spanGaps: false,
          // Every reading is a marker while they are few; among many, a reading with no
          // neighbour (a line needs two) still is, or it would not be drawn at all.
          points: {
            show: series.x.length < 200,
            size: 5,
            fill: COLORS.line,
            filter: (_u, _i, show) => (show ? null : isolated(series)),
          },
          value: (_u, v) =>
            v === null || v === undefined ? '–' : `${v.toFixed(info.decimals)} ${info.unit}`,
        },
      ],
      // The figure's caption and the legend below carry the key in words; uPlot's own
      // table would repeat it unstyled.
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      plugins: [rangesPlugin(info, series)],
    };
    const plot = new uPlot(opts, [series.x, series.y], el);
    plot.root.setAttribute('aria-hidden', 'true');
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    });
    resize.observe(el);

    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [info, series, from, until]);

  return <div ref={host} class="chart-host" />;
}

/** The chart's key, in words and swatches. */
export function ChartLegend({ info }: { info: VitalInfo }) {
  return (
    <div class="chart-legend">
      <span>
        <span class="swatch" style={{ background: COLORS.line }} />
        Reading
      </span>
      {info.band ? (
        <span>
          <span class="swatch" style={{ background: 'rgba(29, 107, 56, 0.35)' }} />
          {info.bandLabel ?? 'Reference band'} {info.band[0]}–{info.band[1]} {info.unit}
        </span>
      ) : null}
      {info.thresholds.map((t) => (
        <span key={t.label}>
          <span
            class="swatch"
            style={{ borderTop: `3px dashed ${COLORS.threshold}`, background: 'none' }}
          />
          {t.label}
        </span>
      ))}
      <span>
        <span class="swatch" style={{ background: 'rgba(74, 83, 97, 0.35)' }} />
        No data
      </span>
      <span>
        <span
          class="swatch"
          style={{ borderLeft: `2px solid ${COLORS.device}`, background: 'none' }}
        />
        Device changed
      </span>
    </div>
  );
}
