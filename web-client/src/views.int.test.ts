import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  checkAccessibility,
  checkTabletWidths,
  describeViolations,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { startBedsideAgent } from './test/bedside-agent.js';
import { demoUser } from './test/hub.js';
import { sessionOf, signIn } from './test/session.js';
import { totpCode } from './test/totp.js';
import { useHubAndBrowser, type HubBrowserContext } from './test/hub-browser-suite.js';

interface Ctx extends HubBrowserContext {
  patientPage?: Page;
  message?: string;
  appointmentId?: string;
}

const views = suite<Ctx>('views by role', { contexts: [] });
await useHubAndBrowser(views);

/**
 * Books a video visit with the demo patient for today, starting in five minutes (or five
 * minutes ago, near midnight), so it is joinable now; returns its id.
 */
async function bookVisitToday(ctx: Ctx, page: Page): Promise<string> {
  const now = Date.now();
  const soon = new Date(now + 5 * 60_000);
  const start = soon.getDate() === new Date(now).getDate() ? soon : new Date(now - 5 * 60_000);
  const res = await callApi(ctx, page, '/fhir/Appointment', {
    resourceType: 'Appointment',
    status: 'booked',
    description: 'Video visit: breathing review',
    start: start.toISOString(),
    end: new Date(start.getTime() + 30 * 60_000).toISOString(),
    participant: [
      { actor: { reference: 'Patient/demo-patient-1' }, status: 'accepted' },
      { actor: { reference: 'Practitioner/demo-clinician' }, status: 'accepted' },
    ],
  });
  assert.is(res.status, 201, 'the visit is booked');

  return ((await res.json()) as { id: string }).id;
}

/**
 * Raises a real alert: a bedside monitor's respiration rate, systolic pressure and
 * temperature that the hub scores as NEWS2 of at least 8.
 */
async function raiseAlert(ctx: Ctx, page: Page): Promise<void> {
  ctx.bedside = await startBedsideAgent(ctx.hub!, {
    itAdmin: demoUser(ctx.hub!, 'it-admin'),
    patientId: 'demo-patient-1',
    readings: [
      { code: 'resp-rate', value: 26, at: Date.now() },
      { code: 'bp-systolic', value: 88, at: Date.now() },
      { code: 'body-temp', value: 39.4, at: Date.now() },
    ],
  });
  for (let tries = 0; tries < 90; tries += 1) {
    const res = await callApi(
      ctx,
      page,
      '/api/alerting/alerts?status=firing,acknowledged&patientId=demo-patient-1',
    );
    const { alerts } = (await res.json()) as { alerts: Array<{ ruleId: string }> };
    if (alerts.some((a) => a.ruleId === 'news2')) {
      return;
    }
    await page.waitForTimeout(1000);
  }
  assert.unreachable('the hub raised no NEWS2 alert');
}

async function openAs(ctx: Ctx, role: string, clock = false): Promise<Page> {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  if (clock) {
    await page.clock.install();
  }
  await signIn(page, demoUser(ctx.hub!, role));

  return page;
}

async function assertAccessible(page: Page): Promise<void> {
  const violations = await checkAccessibility(page);

  assert.equal(violations, [], describeViolations(violations));
}

/** Both tablet orientations: no sideways scrolling, no control cut off. */
async function assertFitsTablet(page: Page, name: string): Promise<void> {
  const problems = await checkTabletWidths(page, name);

  assert.equal(problems, [], `${name} fits a tablet`);
}

/** What each chart on the page drew: its vital and the y pixels of its alert lines. */
function drawnThresholds(page: Page): Promise<Array<{ vital: string; lines: string }>> {
  return page.locator('section[data-vital]').evaluateAll((sections) =>
    sections.map((s) => ({
      vital: (s as HTMLElement).dataset.vital ?? '',
      lines: s.querySelector<HTMLElement>('.uplot')?.dataset.thresholdY ?? 'no chart',
    })),
  );
}

/** Calls the hub's API as the user signed in on the page. */
async function callApi(ctx: Ctx, page: Page, path: string, body?: unknown): Promise<Response> {
  const { accessToken } = await sessionOf(page);
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };

  return fetch(`${ctx.hub!.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

views('clinician worklist: visits, open alerts and RPM minutes from the ledger', async (ctx) => {
  const page = await openAs(ctx, 'clinician');
  await page.getByRole('heading', { name: 'Worklist', level: 1 }).waitFor();
  const patientId = 'demo-patient-1';
  const today = new Date().toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const { sub } = await sessionOf(page);
  for (const [id, minutes] of [
    ['worklist-test-1', 12.5],
    ['worklist-test-2', 9],
  ] as const) {
    const entry = { id, clinicianId: sub, occurredAt: new Date().toISOString(), day: today };
    const res = await callApi(ctx, page, `/api/billing/patients/${patientId}/minutes`, {
      ...entry,
      minutes,
      kind: 'review',
    });
    assert.is(res.status, 201, `minutes entry ${id} recorded`);
  }
  const ledger = await callApi(
    ctx,
    page,
    `/api/billing/patients/${patientId}/minutes?month=${month}`,
  );
  const entries = (await ledger.json()) as Array<{ minutes: number }>;
  const expected = entries.reduce((sum, e) => sum + e.minutes, 0);
  assert.is(expected, 21.5, 'the ledger holds the minutes recorded');

  ctx.appointmentId = await bookVisitToday(ctx, page);
  await raiseAlert(ctx, page);

  // Load the worklist afresh so it reads the ledger, the visit and the alert as they are now.
  await page.getByRole('link', { name: 'Patients' }).click();
  await page.getByRole('heading', { name: 'Patients', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Worklist' }).click();
  for (const name of ["Today's visits", 'Patients with open alerts', 'RPM minutes this month']) {
    await page.getByRole('heading', { name, level: 2 }).waitFor();
  }
  const rows = page.locator('section[aria-labelledby="rpm-title"] tbody tr');
  await rows.first().waitFor();
  await page.waitForLoadState('networkidle');

  assert.equal(await page.locator('.error').allInnerTexts(), []);
  assert.is(await rows.count(), 1, 'one row per patient of the care team');
  const cells = await rows.first().locator('td').allInnerTexts();
  assert.equal(cells, [String(expected), String(entries.length), 'Billable (20 minutes reached)']);
  const visit = page.locator('section[aria-labelledby="visits-title"] li', {
    hasText: 'breathing review',
  });
  await visit.getByText('Pat Demo').waitFor();
  assert.is(
    await visit.getByRole('link', { name: /^Join/ }).getAttribute('href'),
    `/visit.html?appointment=${ctx.appointmentId}`,
  );
  await page
    .locator('section[aria-labelledby="open-alerts-title"] li', { hasText: 'Pat Demo' })
    .waitFor();
  await assertAccessible(page);
  await saveScreenshot(page, 'clinician-worklist');
  await assertFitsTablet(page, 'clinician-worklist');
});

views('nurse patient list links each patient to the chart', async (ctx) => {
  const page = await openAs(ctx, 'nurse');
  await page.getByRole('link', { name: 'Patients' }).click();
  await page.getByRole('heading', { name: 'Patients', level: 1 }).waitFor();
  await page
    .getByRole('link', { name: /^Open chart/ })
    .first()
    .waitFor();

  await assertAccessible(page);
  await saveScreenshot(page, 'nurse-patients');
  await assertFitsTablet(page, 'nurse-patients');
});

views('patient portal: own readings, visits, devices and trends', async (ctx) => {
  const page = await openAs(ctx, 'patient');
  await page.getByRole('heading', { name: 'My health', level: 1 }).waitFor();
  await page.locator('.reading').first().waitFor();
  await page.getByRole('heading', { name: 'My devices' }).waitFor();
  await page.waitForLoadState('networkidle');

  assert.equal(await page.locator('.error').allInnerTexts(), []);
  assert.ok(await page.getByRole('link', { name: 'Video visits' }).getAttribute('href'));
  // No client-invented alert limits and no staff reference band on a patient's own charts,
  // and no reading painted as alarming.
  await page.locator('section[data-vital] .uplot').first().waitFor();
  await page.getByTestId('thresholds-patient').waitFor();
  // Each device with when it last reported; the visit booked today, with Join.
  assert.match(
    await page.locator('section[aria-labelledby="devices-title"] li').first().innerText(),
    /Last reported: (just now|\d+ (s|min) ago) \(\d{1,2}:\d{2}\)/,
  );
  const visit = page.locator('section[aria-labelledby="visits-title"] li', {
    hasText: 'breathing review',
  });
  assert.is(
    await visit.getByRole('link', { name: 'Join video visit' }).getAttribute('href'),
    `/visit.html?appointment=${ctx.appointmentId!}`,
  );
  const drawn = await drawnThresholds(page);
  assert.ok(drawn.length > 0, 'the portal draws trends');
  assert.equal(
    drawn.filter((d) => d.lines !== ''),
    [],
    'no alert line on any chart',
  );
  assert.is(await page.getByText(/Alert (below|above)|no-score band|Normal range/).count(), 0);
  assert.is(await page.locator('.out-of-range').count(), 0);
  // The period fits the readings (minutes old here), and uPlot's own legend is hidden.
  assert.is(await page.getByLabel('Period').inputValue(), 'fit');
  assert.is(await page.locator('.u-legend:visible').count(), 0);
  await assertAccessible(page);
  await saveScreenshot(page, 'patient-portal');
  await assertFitsTablet(page, 'patient-portal');

  // A patient who types a staff view's address lands on their own page.
  // The portal's heading is already up, so wait for the app's redirect itself: the hash
  // change to #/console and back is asynchronous.
  await page.goto('/#/console');
  await page.waitForURL((url) => url.hash === '#/portal');
  await page.getByRole('heading', { name: 'My health', level: 1 }).waitFor();
  assert.is(new URL(page.url()).hash, '#/portal');
});

views('a chart whose thresholds cannot be read says so and draws none', async (ctx) => {
  const page = await openAs(ctx, 'nurse');
  await page.route('**/api/alerting/rules', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"down"}' }),
  );
  await page.goto('/#/patient/demo-patient-1');
  await page.locator('section[data-vital] .uplot').first().waitFor();
  const notice = page.getByTestId('thresholds-unavailable');
  await notice.waitFor();

  assert.match(await notice.innerText(), /^Alert thresholds unavailable: /);
  assert.equal(
    (await drawnThresholds(page)).filter((d) => d.lines !== ''),
    [],
    'no alert line drawn from anywhere else',
  );
  // Staff see the reference band under its real name.
  assert.ok((await page.getByText(/^NEWS2 no-score band /).count()) > 0);
  // The window title (history, task switcher) never carries the patient's name.
  assert.is(await page.title(), 'Patient chart · Spark Den');
  await saveScreenshot(page, 'patient-chart-thresholds-unavailable');
});

views('patient secure messages: a message sent appears in the conversation', async (ctx) => {
  const page = await openAs(ctx, 'patient');
  ctx.patientPage = page;
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  const text = `Feeling short of breath this morning (${Date.now()})`;
  await page.getByLabel('New message to your care team').fill(text);
  await page.getByRole('button', { name: 'Send message' }).click();

  await page.getByText('Message sent.').waitFor();
  await page.locator('ul.messages li', { hasText: text }).waitFor();
  ctx.message = text;
  await assertAccessible(page);
  await saveScreenshot(page, 'patient-messages');
  await assertFitsTablet(page, 'patient-messages');
});

views('a clinician reads the patient’s message and replies; the patient sees it', async (ctx) => {
  const page = await openAs(ctx, 'clinician');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Messages' })
    .click();
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  const thread = page.locator('li[data-patient-id="demo-patient-1"]');
  await thread.getByText('Awaiting reply').waitFor();
  await thread.getByRole('link').click();
  await page.locator('ul.messages li', { hasText: ctx.message! }).waitFor();

  const reply = `Please use your inhaler and we will call you (${Date.now()})`;
  await page.getByLabel(/^Reply to /).fill(reply);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.getByText('Reply sent.').waitFor();
  await page.locator('ul.messages li', { hasText: reply }).waitFor();
  await thread.getByText('Awaiting reply').waitFor({ state: 'detached' });
  await assertAccessible(page);
  await saveScreenshot(page, 'clinician-messages');
  await assertFitsTablet(page, 'clinician-messages');

  const patient = ctx.patientPage!;
  await patient.reload();
  const answer = patient.locator('ul.messages li', { hasText: reply });
  await answer.waitFor();
  const from = await answer.locator('.meta').innerText();
  assert.not.match(from, /^You/);
  assert.not.match(from, /Practitioner\//, 'a name, never a reference');
});

views('sign-in: the hub refuses a wrong TOTP code', async (ctx) => {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  const user = demoUser(ctx.hub!, 'billing');
  await page.goto('/');
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  // A code from an hour ago: well outside the one step of drift the hub accepts.
  await page.getByLabel('Six-digit code').fill(totpCode(user.totpSecret!, Date.now() - 3_600_000));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();

  await page.getByText('That code did not work').waitFor();
  assert.is(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
  assert.is(await page.evaluate(() => sessionStorage.getItem('sparkden.session')), null);
  await assertAccessible(page);
  await saveScreenshot(page, 'login-wrong-code');
});

views('session timeout: a warning before the idle sign-out, then sign-out', async (ctx) => {
  const page = await openAs(ctx, 'patient', true);
  await page.getByRole('heading', { name: 'My health', level: 1 }).waitFor();

  await page.clock.fastForward('13:30');
  const dialog = page.getByRole('dialog', { name: 'Are you still there?' });
  await dialog.waitFor();
  await assertAccessible(page);
  await saveScreenshot(page, 'session-timeout-warning');
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await dialog.waitFor({ state: 'hidden' });

  await page.clock.fastForward('16:00');
  await page.getByText('You were signed out after a period of inactivity.').waitFor();
});

views.run();
