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

/** A fresh, isolated browser context at tablet size, as one nurse's tablet would be. */
export function newTablet(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: TABLET_VIEWPORT, locale: 'en-GB' });
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
 * Runs axe-core in the page against WCAG 2.0/2.1 A and AA and returns the violations. The
 * axe source is injected into the page, so the check runs on the real rendered DOM.
 */
export async function checkAccessibility(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });

  return page.evaluate(async () => {
    type Axe = { run(context: Document, options: RunOptions): Promise<AxeResults> };
    const axe = (globalThis as unknown as { axe: Axe }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });

    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
}

/** A readable summary of violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes.join(', ')}`)
    .join('\n');
}
