import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { AxeResults, RunOptions } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; tests never download a browser. */
export const CHROMIUM_PATH = process.env.SD_CHROMIUM ?? '/usr/bin/chromium';

/** A tablet in landscape (iPad-class), the width the console is designed for. */
export const TABLET_VIEWPORT = { width: 1024, height: 768 } as const;

/** A tablet in portrait. */
export const TABLET_PORTRAIT = { width: 768, height: 1024 } as const;

/** Where tests save screenshots (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(
  new URL('../../../artifacts/screenshots/', import.meta.url),
);

/** Starts headless Chromium with flags that keep it quiet and sandbox-free (we run as root). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * tsx compiles the tests with esbuild's `keepNames`, which wraps named functions in a
 * `__name(…)` helper; functions sent to the page with `evaluate` need it there too.
 */
const NAME_SHIM = 'globalThis.__name ??= (fn) => fn;';

/** How long a step waits for the page before failing. */
const DEFAULT_WAIT_MS = 60_000;

/** A fresh, isolated browser context at tablet size, as one nurse's tablet would be. */
export async function newTablet(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: TABLET_VIEWPORT, locale: 'en-GB' });
  await context.addInitScript(NAME_SHIM);
  // A tolerance for a machine shared with other test runs, not a speed the tests assert.
  context.setDefaultTimeout(DEFAULT_WAIT_MS);

  return context;
}

/** Saves a full-page screenshot as artifacts/screenshots/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });

  return path;
}

const require = createRequire(import.meta.url);

/** One axe-core rule violation, reduced to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: string[];
}

/**
 * Where an undecided colour-contrast result counts as a failure: the banners and dialogs a
 * nurse must read at a glance. axe leaves contrast "incomplete" when it cannot find one
 * background (an overlap, a pseudo-element); on these, the test does not give the benefit
 * of the doubt.
 */
export const MUST_DECIDE_CONTRAST = '[role="alert"], .banner-urgent, .banner-stale, dialog[open]';

/**
 * Runs axe-core in the page against WCAG 2.0/2.1 A and AA and returns the violations, plus
 * any colour-contrast result axe left undecided inside {@link MUST_DECIDE_CONTRAST}. The
 * axe source is injected into the page, so the check runs on the real rendered DOM.
 */
export async function checkAccessibility(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });

  return page.evaluate(async (mustDecide) => {
    type Axe = { run(context: Document, options: RunOptions): Promise<AxeResults> };
    const axe = (globalThis as unknown as { axe: Axe }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    const undecided = result.incomplete
      .filter((r) => r.id === 'color-contrast')
      .map((r) => ({
        ...r,
        id: 'color-contrast (undecided)',
        nodes: r.nodes.filter((n) => {
          const el = document.querySelector(String(n.target[0]));

          return el?.closest(mustDecide) !== null && el !== null;
        }),
      }))
      .filter((r) => r.nodes.length > 0);

    return [...result.violations, ...undecided].map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  }, MUST_DECIDE_CONTRAST);
}

/** A readable summary of violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes.join(', ')}`)
    .join('\n');
}

/** The two tablet orientations every view must fit. */
export const TABLET_ORIENTATIONS = [
  { name: 'landscape', viewport: TABLET_VIEWPORT },
  { name: 'portrait', viewport: TABLET_PORTRAIT },
] as const;

/**
 * What does not fit the current viewport's width: the page scrolling sideways, and each
 * visible control (link, button, field, disclosure) that reaches past the viewport, is cut
 * off by a box that clips or scrolls its content, or whose own text overflows it.
 */
export function findWidthProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const doc = document.documentElement;
    const width = doc.clientWidth;
    if (doc.scrollWidth > width) {
      problems.push(`page scrolls sideways: ${doc.scrollWidth} px wide in ${width} px`);
    }
    const describe = (el: Element) => {
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const label = el.getAttribute('aria-label') ?? el.getAttribute('id') ?? text;

      return `${el.tagName.toLowerCase()} "${label}"`;
    };
    const controls = document.querySelectorAll<HTMLElement>(
      'a[href], button, input, select, textarea, summary, [tabindex]',
    );
    for (const el of Array.from(controls)) {
      const box = el.getBoundingClientRect();
      // Visually hidden text (1 px) and the skip link (off screen until focused) are meant.
      if (box.width <= 1 || box.height <= 1 || el.closest('.visually-hidden, .skip-link')) {
        continue;
      }
      if (getComputedStyle(el).visibility === 'hidden') {
        continue;
      }
      if (box.left < -0.5 || box.right > width + 0.5) {
        problems.push(`${describe(el)} reaches past the viewport (${box.left}–${box.right})`);
        continue;
      }
      if (el.tagName === 'BUTTON' && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${describe(el)} is too narrow for its text`);
      }
      for (let up = el.parentElement; up && up !== doc; up = up.parentElement) {
        const overflowX = getComputedStyle(up).overflowX;
        if (overflowX === 'visible') {
          continue;
        }
        const clip = up.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) {
          problems.push(
            `${describe(el)} is cut off by a ${up.tagName.toLowerCase()}.${up.className}`,
          );
          break;
        }
      }
    }

    return problems;
  });
}

/**
 * Shows the page at both tablet orientations and returns what does not fit, each problem
 * prefixed with the orientation; saves `<name>-portrait.png` on the way, and leaves the
 * page in landscape.
 */
export async function checkTabletWidths(page: Page, name: string): Promise<string[]> {
  const problems: string[] = [];
  for (const orientation of TABLET_ORIENTATIONS) {
    await page.setViewportSize(orientation.viewport);
    // Two frames: one for layout, one for the charts' ResizeObserver to redraw.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    const found = await findWidthProblems(page);
    problems.push(...found.map((p) => `${orientation.name}: ${p}`));
    if (orientation.name === 'portrait') {
      await saveScreenshot(page, `${name}-portrait`);
    }
  }
  await page.setViewportSize(TABLET_VIEWPORT);

  return problems;
}
