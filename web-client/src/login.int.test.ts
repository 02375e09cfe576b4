import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ensureWebClientBuilt } from './build.js';
import {
  checkAccessibility,
  checkTabletWidths,
  describeViolations,
  launchBrowser,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { serveStatic } from './test/static-server.js';

// The sign-in page needs no hub: it is served here from the built files alone, so it is
// checked even when the rest of the stack is down (which the page must also handle).
const login = suite<{
  browser?: Browser;
  page?: Page;
  server?: Awaited<ReturnType<typeof serveStatic>>;
}>('sign-in page');

login.before(async (ctx) => {
  ctx.server = await serveStatic(await ensureWebClientBuilt({ silent: true }));
  ctx.browser = await launchBrowser();
  const context = await newTablet(ctx.browser, ctx.server.url);
  ctx.page = await context.newPage();
});

login.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.server?.close();
});

login('renders a labelled form with no WCAG 2.1 AA violations', async ({ page }) => {
  await page!.goto('/');
  await page!.getByRole('heading', { name: 'Sign in to Spark Den' }).waitFor();

  const violations = await checkAccessibility(page!);

  assert.equal(violations, [], describeViolations(violations));
  await saveScreenshot(page!, 'login');
});

login('is operable from the keyboard alone', async ({ page }) => {
  await page!.goto('/');
  await page!.keyboard.press('Tab');
  assert.is(await page!.evaluate(() => document.activeElement?.id), 'username');
  await page!.keyboard.type('nurse');
  await page!.keyboard.press('Tab');
  assert.is(await page!.evaluate(() => document.activeElement?.id), 'password');
  await page!.keyboard.type('not-the-password');
  await page!.keyboard.press('Enter');

  // No hub answers here, so the failure must be said plainly, as an alert.
  const error = page!.getByRole('alert');
  await error.waitFor();
  assert.match(await error.innerText(), /hub|try again/i);
});

login('fits a tablet in both orientations, no control cut off', async ({ page }) => {
  await page!.goto('/');
  await page!.getByLabel('User name').waitFor();

  const problems = await checkTabletWidths(page!, 'login');

  assert.equal(problems, []);
});

login.run();
