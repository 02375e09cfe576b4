import type { Locator, Page } from 'playwright-core';

/** What the page's audio did, as counted by {@link countAudio}. */
export interface AudioCounts {
  /** Oscillators started (each pulse of the alert tone is one). */
  oscillatorsStarted: number;
  /** `HTMLMediaElement.play()` calls. */
  mediaPlays: number;
  /** The state of the last AudioContext the page made, if any. */
  contextState?: string;
}

/**
 * Hooks the page's WebAudio and media elements before any script of the page runs, so a
 * test can tell that a sound was really started, not only that the app says it was.
 */
export async function countAudio(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const counts = { oscillatorsStarted: 0, mediaPlays: 0, contexts: [] as AudioContext[] };
    Object.defineProperty(window, '__audioCounts', { value: counts });
    type Start = (this: OscillatorNode, when?: number) => void;
    const start = Object.getOwnPropertyDescriptor(AudioScheduledSourceNode.prototype, 'start')
      ?.value as Start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      counts.oscillatorsStarted += 1;
      start.call(this, when);
    };
    type Play = (this: HTMLMediaElement) => Promise<void>;
    const play = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'play')?.value as Play;
    HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
      counts.mediaPlays += 1;
      return play.call(this);
    };
    const Native = window.AudioContext;
    window.AudioContext = class extends Native {
      constructor(options?: AudioContextOptions) {
        super(options);
        counts.contexts.push(this);
      }
    };
  });
}

/** Reads the counters {@link countAudio} installed. */
export function readAudio(page: Page): Promise<AudioCounts> {
  return page.evaluate(() => {
    type Counts = { oscillatorsStarted: number; mediaPlays: number; contexts: AudioContext[] };
    const counts = (window as unknown as { __audioCounts: Counts }).__audioCounts;

    return {
      oscillatorsStarted: counts.oscillatorsStarted,
      mediaPlays: counts.mediaPlays,
      contextState: counts.contexts[counts.contexts.length - 1]?.state,
    };
  });
}

/** One row of a NEWS2 table as the nurse reads it. */
export interface News2Row {
  parameter: string;
  value: string;
  score: string;
}

/** The caption and rows of a NEWS2 table, read in one go so they belong to one render. */
export function readNews2Table(table: Locator): Promise<{ caption: string; rows: News2Row[] }> {
  return table.evaluate((el) => {
    const text = (node: Element | null | undefined) => (node?.textContent ?? '').trim();
    const rows = Array.from(el.querySelectorAll('tbody tr')).map((tr) => ({
      parameter: text(tr.querySelector('th')),
      value: text(tr.querySelectorAll('td')[0]),
      score: text(tr.querySelectorAll('td')[1]),
    }));

    return { caption: text(el.querySelector('caption')), rows };
  });
}

/** What a chart's canvas shows where the chart says it drew thresholds and gaps. */
export interface ChartPixels {
  /** Per drawn threshold: the share of the row's pixels in the threshold colour. */
  thresholdCoverage: number[];
  /** Per drawn gap: pixels of the reading line inside it (0 when the line breaks). */
  linePixelsInGaps: number[];
  /** Per drawn gap: the share of its left edge in the gap-edge colour. */
  gapEdgeCoverage: number[];
  /** Pixels of the reading line outside the gaps. */
  linePixelsOutside: number;
}

/**
 * Looks at the pixels of a uPlot chart where its plugin says (`data-threshold-y`,
 * `data-gap-x`) it drew each threshold line and each gap, in the chart's colours.
 */
export function readChartPixels(chart: Locator): Promise<ChartPixels> {
  return chart.evaluate((root) => {
    const canvas = root.querySelector('canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) {
      throw new Error('the chart has no canvas');
    }
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (x: number, y: number, rgb: readonly number[], tolerance: number) => {
      const i = (Math.round(y) * canvas.width + Math.round(x)) * 4;
      return rgb.every((c, k) => Math.abs((data[i + k] ?? 0) - c) <= tolerance);
    };
    const threshold = [163, 19, 26];
    const line = [26, 86, 168];
    const edge = [107, 117, 133];
    const host = root as HTMLElement;
    const ys = (host.dataset.thresholdY ?? '').split(',').filter(Boolean).map(Number);
    const gaps = (host.dataset.gapX ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('-').map(Number) as [number, number]);
    const thresholdCoverage = ys.map((y) => {
      let hits = 0;
      for (let x = 0; x < canvas.width; x++) {
        hits += [y - 1, y, y + 1].some((row) => near(x, row, threshold, 40)) ? 1 : 0;
      }
      return hits / canvas.width;
    });
    const inGap = (x: number) => gaps.some(([x0, x1]) => x > x0 + 2 && x < x1 - 2);
    let linePixelsOutside = 0;
    const linePixelsInGaps = gaps.map(() => 0);
    for (let x = 0; x < canvas.width; x++) {
      for (let y = 0; y < canvas.height; y++) {
        if (!near(x, y, line, 30)) {
          continue;
        }
        const gap = gaps.findIndex(([x0, x1]) => x > x0 + 2 && x < x1 - 2);
        if (gap === -1) {
          linePixelsOutside += inGap(x) ? 0 : 1;
        } else {
          linePixelsInGaps[gap] = (linePixelsInGaps[gap] ?? 0) + 1;
        }
      }
    }
    const gapEdgeCoverage = gaps.map(([x0]) => {
      let hits = 0;
      for (let y = 0; y < canvas.height; y++) {
        hits += [x0 - 1, x0, x0 + 1].some((col) => near(col, y, edge, 40)) ? 1 : 0;
      }
      return hits / canvas.height;
    });

    return { thresholdCoverage, linePixelsInGaps, gapEdgeCoverage, linePixelsOutside };
  });
}
