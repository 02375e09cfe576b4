import type { Locator, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startBedsideAgent, type BedsideReading } from './test/bedside-agent.js';
import {
  checkAccessibility,
  describeViolations,
  newTablet,
  saveScreenshot,
  TABLET_PORTRAIT,
  TABLET_VIEWPORT,
} from './test/browser.js';
import { demoUser } from './test/hub.js';
import { signIn } from './test/session.js';
import { useHubAndBrowser, type HubBrowserContext } from './test/hub-browser-suite.js';

// Device → agent → broker → store → rules → console, on a loaded machine.
const ALERT_WAIT_MS = 90_000;
const MINUTE = 60_000;

interface Ctx extends HubBrowserContext {
  page?: Page;
}

const watch = suite<Ctx>('console: silences and the session of a watched console', {
  contexts: [],
});
await useHubAndBrowser(watch);

/**
 * A bedside monitor's readings that raise two alerts for the demo patient: NEWS2 of at
 * least 3 + 3 + 2 = 8 (high, so urgent; its systolic pressure taken 2.5 h before the rest,
 * so stale) and a temperature that rose 2.4 °C in three hours (the `temperature-rising`
 * rule, low–medium, so it may be silenced).
 */
function bedsideReadings(now: number): BedsideReading[] {
  const readings: BedsideReading[] = [
    { code: 'resp-rate', value: 26, at: now },
    { code: 'bp-systolic', value: 88, at: now - 150 * MINUTE },
    { code: 'body-temp', value: 39.4, at: now },
    { code: 'body-temp', value: 37.0, at: now - 180 * MINUTE },
  ];
  for (let m = 1; m <= 5; m += 1) {
    readings.push({ code: 'resp-rate', value: 24, at: now - m * MINUTE });
  }

  return readings;
}

function alertOf(page: Page, severity: string): Locator {
  return page.locator(`li.alert[data-state="firing"][data-severity="${severity}"]`).first();
}

async function sessionClock(page: Page): Promise<{ now: number; absoluteExpiresAt: number }> {
  return page.evaluate(() => {
    const raw = sessionStorage.getItem('sparkden.session') ?? '{}';
    const data = JSON.parse(raw) as { absoluteExpiresAt?: number };

    return { now: Date.now(), absoluteExpiresAt: data.absoluteExpiresAt ?? Number.NaN };
  });
}

watch('an urgent and a non-urgent alert show, urgent first', async (ctx) => {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  // The page's clock is faked from the start so the session limits can be reached.
  await page.clock.install();
  await signIn(page, demoUser(ctx.hub!, 'nurse'));
  await page.locator('.conn[data-state="live"]').waitFor();
  ctx.page = page;
  ctx.bedside = await startBedsideAgent(ctx.hub!, {
    itAdmin: demoUser(ctx.hub!, 'it-admin'),
    patientId: 'demo-patient-1',
    readings: bedsideReadings(Date.now()),
  });

  const group = page.locator('section.patient-group[data-patient-id="demo-patient-1"]');
  await group
    .locator('li.alert[data-severity="high"] h3', { hasText: /^NEWS2/ })
    .waitFor({ timeout: ALERT_WAIT_MS });
  await group
    .locator('li.alert[data-severity="low-medium"] h3', { hasText: 'Rising temperature' })
    .waitFor({ timeout: ALERT_WAIT_MS });

  const severities = await group
    .locator('li.alert[data-state="firing"]')
    .evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.severity));
  const urgentAt = severities.indexOf('high');
  const lowAt = severities.indexOf('low-medium');
  assert.ok(urgentAt >= 0 && lowAt > urgentAt, `urgent first: ${severities.join(', ')}`);
  await page.getByTestId('urgent-banner').waitFor();
  const violations = await checkAccessibility(page);
  assert.equal(violations, [], describeViolations(violations));
  // The same, banner showing, on a tablet held upright.
  await page.setViewportSize(TABLET_PORTRAIT);
  const portrait = await checkAccessibility(page);
  assert.equal(portrait, [], describeViolations(portrait));
  await saveScreenshot(page, 'console-urgent-portrait');
  await page.setViewportSize(TABLET_VIEWPORT);
});

watch('the NEWS2 table says when each part was measured and marks a stale one', async (ctx) => {
  const table = alertOf(ctx.page!, 'high').locator('.news2 table');
  const measured = (parameter: string) =>
    table.locator('tbody tr', { hasText: parameter }).locator('td').nth(2).innerText();

  assert.match(await measured('Respiration rate'), /^\d{1,2}:\d{2}$/);
  assert.match(
    await measured('Systolic BP'),
    /^\d{1,2}:\d{2} \(stale: 2 h 30 min older than the rest\)$/,
  );
  assert.is(await table.locator('td.stale').count(), 1);
  await saveScreenshot(ctx.page!, 'console-news2-measured');
});

watch('an urgent alert offers no Silence; a non-urgent one shows until when', async (ctx) => {
  const page = ctx.page!;
  const urgent = alertOf(page, 'high');
  await urgent.locator('summary', { hasText: 'More actions' }).click();
  assert.is(await urgent.getByText('Urgent alerts cannot be silenced.').count(), 1);
  assert.is(await urgent.getByRole('button', { name: 'Silence' }).count(), 0);
  assert.is(await urgent.getByLabel('Silence for').count(), 0);
  await urgent.locator('summary', { hasText: 'More actions' }).click();

  const low = alertOf(page, 'low-medium');
  await low.locator('summary', { hasText: 'More actions' }).click();
  await low.getByLabel('Silence for').selectOption('15');
  await low.getByRole('button', { name: 'Silence' }).click();
  await low.getByText('Silenced this rule for this patient for 15 minutes.').waitFor();
  const state = low.locator('.state', { hasText: '(silenced' });
  await state.waitFor();

  assert.match(await state.innerText(), /^Not acknowledged \(silenced until \d{1,2}:\d{2}\)$/);
  // The urgent alert is still firing, still unsilenced.
  assert.is(await urgent.locator('.state').innerText(), 'Not acknowledged');
  await saveScreenshot(page, 'console-silenced');
});

watch('a live console with unacknowledged alerts does not idle out', async (ctx) => {
  const page = ctx.page!;

  // Well past the 15 min idle limit with nobody touching the screen.
  await page.clock.fastForward('20:00');
  await page.clock.fastForward('00:05');

  const stored = await page.evaluate(() => sessionStorage.getItem('sparkden.session'));
  assert.ok(stored, 'still signed in');
  assert.is(await page.getByRole('dialog', { name: 'Are you still there?' }).count(), 0);
  await page.getByTestId('urgent-banner').waitFor();
  assert.is(await page.getByRole('heading', { name: 'Alert console' }).count(), 1);
});

watch('the absolute limit still applies: a loud warning with no way to stay', async (ctx) => {
  const page = ctx.page!;
  const { now, absoluteExpiresAt } = await sessionClock(page);
  assert.ok(absoluteExpiresAt - now > 2 * MINUTE, 'a session limit is known');

  await page.clock.fastForward(absoluteExpiresAt - now - 90_000);
  const dialog = page.getByRole('dialog', { name: 'Your session is ending' });
  await dialog.waitFor();

  assert.is(await dialog.getByRole('button', { name: 'Stay signed in' }).count(), 0);
  assert.is(await dialog.getByRole('button', { name: 'Sign out now' }).count(), 1);
  assert.match(
    await dialog.getByTestId('watch-ending').innerText(),
    /^Alerts will no longer be watched on this screen/,
  );
  const violations = await checkAccessibility(page);
  assert.equal(violations, [], describeViolations(violations));
  await saveScreenshot(page, 'console-session-ending');

  await page.clock.fastForward('02:00');
  await page.getByRole('heading', { name: 'Sign in to Spark Den' }).waitFor();
  await page.getByText('Your session reached its time limit. Please sign in again.').waitFor();
  assert.match(
    await page.getByTestId('watch-ended').innerText(),
    /^Alerts are no longer being watched on this screen\./,
  );
  assert.is(await page.evaluate(() => sessionStorage.getItem('sparkden.session')), null);
  await saveScreenshot(page, 'console-signed-out-absolute');
});

watch.run();
