import type { Browser, BrowserContext } from 'playwright-core';
import type { Test } from 'uvu';

import type { BedsideAgent } from './bedside-agent.js';
import { launchBrowser } from './browser.js';
import { requireStartHub, startTestHub, type TestHub } from './hub.js';

/** What a browser suite against a demo hub holds; each suite adds its own fields. */
export interface HubBrowserContext {
  hub?: TestHub;
  browser?: Browser;
  /** A bedside agent a test started, stopped with the hub. */
  bedside?: BedsideAgent;
  /** Browser contexts the tests opened, closed before the browser. */
  contexts: BrowserContext[];
}

/**
 * Gives a suite a fresh demo hub and one headless Chromium before its tests, and after them
 * closes the tests' browser contexts, the browser, a bedside agent and the hub, in that order.
 *
 * @example
 * ```ts
 * const views = suite<HubBrowserContext>('views by role', { contexts: [] });
 * await useHubAndBrowser(views);
 * ```
 */
export async function useHubAndBrowser<C extends HubBrowserContext>(s: Test<C>): Promise<void> {
  const startHub = await requireStartHub();

  s.before(async (ctx) => {
    ctx.hub = await startTestHub(startHub);
    ctx.browser = await launchBrowser();
  });
  s.after(async (ctx) => {
    for (const c of ctx.contexts) {
      await c.close();
    }
    await ctx.browser?.close();
    await ctx.bedside?.stop();
    await ctx.hub?.stop();
  });
}
