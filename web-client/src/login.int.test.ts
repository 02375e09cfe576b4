import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ensureWebClientBuilt } from './build.js';
import {
  TABLET_PORTRAIT,
  checkAccessibility,
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

login('fits a portrait tablet without horizontal scrolling', async ({ page }) => {
  await page!.setViewportSize(TABLET_PORTRAIT);
  await page!.goto('/');
  await page!.getByLabel('User name').waitFor();

  const overflow = await page!.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );

  assert.is(overflow, 0);
  await saveScreenshot(page!, 'login-portrait');
});

login.run();
