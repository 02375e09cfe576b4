import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  checkAccessibility,
  checkTabletWidths,
  describeViolations,
  launchBrowser,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { demoUser, requireStartHub, startTestHub, type TestHub } from './test/hub.js';
import { sessionOf, signIn } from './test/session.js';

interface Ctx {
  hub?: TestHub;
  browser?: Browser;
  contexts: BrowserContext[];
}

const views = suite<Ctx>('views by role', { contexts: [] });
const startHub = await requireStartHub();

views.before(async (ctx) => {
  ctx.hub = await startTestHub(startHub);
  ctx.browser = await launchBrowser();
});

views.after(async (ctx) => {
  for (const c of ctx.contexts) {
    await c.close();
  }
  await ctx.browser?.close();
  await ctx.hub?.stop();
});

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

  // Load the worklist afresh so it reads the ledger as it is now.
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
  await assertAccessible(page);
  await saveScreenshot(page, 'patient-portal');
  await assertFitsTablet(page, 'patient-portal');
});

views('patient secure messages: a message sent appears in the conversation', async (ctx) => {
  const page = await openAs(ctx, 'patient');
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  const text = `Feeling short of breath this morning (${Date.now()})`;
  await page.getByLabel('New message to your care team').fill(text);
  await page.getByRole('button', { name: 'Send message' }).click();

  await page.getByText('Message sent.').waitFor();
  await page.locator('ul.messages li', { hasText: text }).waitFor();
  await assertAccessible(page);
  await saveScreenshot(page, 'patient-messages');
  await assertFitsTablet(page, 'patient-messages');
});

views(
  'IT fleet view: the demo agent with its queue and devices; enroll a new agent',
  async (ctx) => {
    const page = await openAs(ctx, 'it-admin');
    await page.getByRole('heading', { name: 'Edge fleet', level: 1 }).waitFor();
    const agent = page.locator('tr[data-agent-id]').first();
    await agent.waitFor();
    await page.locator('tr[data-state="online"]').first().waitFor({ timeout: 30_000 });

    await page.getByLabel('Label (optional)').fill('Ward 3 bedside hub');
    await page.getByRole('button', { name: 'Create one-time token' }).click();
    const token = await page.getByTestId('enroll-token').innerText();
    assert.match(token, /\S{16,}/);

    await assertAccessible(page);
    await saveScreenshot(page, 'fleet');
    await assertFitsTablet(page, 'fleet');

    await agent.getByRole('button', { name: /^Push config/ }).click();
    await page.getByLabel('Configuration (JSON)').fill('{ "uplink": { "heartbeatSeconds": 15 } }');
    await page.getByRole('button', { name: 'Push configuration' }).click();
    await page.getByText(/^Configuration v\d+ pushed to /).waitFor({ state: 'attached' });

    await agent.getByRole('button', { name: /^Revoke/ }).click();
    await page.getByRole('heading', { name: /^Revoke / }).waitFor();
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.is(await agent.getAttribute('data-state'), 'online');
  },
);

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
