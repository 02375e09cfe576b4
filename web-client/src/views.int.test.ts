import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  TABLET_PORTRAIT,
  checkAccessibility,
  describeViolations,
  launchBrowser,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { demoUser, loadStartHub, startTestHub, type TestHub } from './test/hub.js';
import { signIn } from './test/session.js';

interface Ctx {
  hub?: TestHub;
  browser?: Browser;
  contexts: BrowserContext[];
}

const views = suite<Ctx>('views by role', { contexts: [] });
const startHub = await loadStartHub();

views.before(async (ctx) => {
  if (!startHub) {
    return;
  }
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

async function assertNoHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );

  assert.is(overflow, 0, 'the view fits the tablet width');
}

function hubTest(name: string, fn: (ctx: Ctx) => Promise<void>): void {
  if (startHub) {
    views(name, fn);
  }
}
if (!startHub) {
  console.log('startHub is not exported by @sparkden/gateway yet: view tests not run');
}

hubTest('clinician worklist: visits, open alerts and RPM minutes', async (ctx) => {
  const page = await openAs(ctx, 'clinician');
  await page.getByRole('heading', { name: 'Worklist', level: 1 }).waitFor();
  for (const name of ["Today's visits", 'Patients with open alerts', 'RPM minutes this month']) {
    await page.getByRole('heading', { name, level: 2 }).waitFor();
  }
  await page.waitForLoadState('networkidle');

  // NOTE: until the hub mounts the billing routes, the RPM section says so; any other
  // failure to load is a defect.
  const errors = (await page.locator('.error').allInnerTexts()).filter(
    (text) => !/RPM minutes: The hub has no \/api\/billing\//.test(text),
  );
  assert.equal(errors, []);
  await assertAccessible(page);
  await saveScreenshot(page, 'clinician-worklist');
});

hubTest('nurse patient list links each patient to the chart', async (ctx) => {
  const page = await openAs(ctx, 'nurse');
  await page.getByRole('link', { name: 'Patients' }).click();
  await page.getByRole('heading', { name: 'Patients', level: 1 }).waitFor();
  await page
    .getByRole('link', { name: /^Open chart/ })
    .first()
    .waitFor();

  await assertAccessible(page);
  await saveScreenshot(page, 'nurse-patients');
});

hubTest('patient portal: own readings, visits, devices and trends', async (ctx) => {
  const page = await openAs(ctx, 'patient');
  await page.getByRole('heading', { name: 'My health', level: 1 }).waitFor();
  await page.locator('.reading').first().waitFor();
  await page.getByRole('heading', { name: 'My devices' }).waitFor();
  await page.waitForLoadState('networkidle');

  assert.equal(await page.locator('.error').allInnerTexts(), []);
  assert.ok(await page.getByRole('link', { name: 'Video visits' }).getAttribute('href'));
  await assertAccessible(page);
  await assertNoHorizontalScroll(page);
  await saveScreenshot(page, 'patient-portal');
  await page.setViewportSize(TABLET_PORTRAIT);
  await assertNoHorizontalScroll(page);
  await saveScreenshot(page, 'patient-portal-portrait');
});

hubTest('patient secure messages: a message sent appears in the conversation', async (ctx) => {
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
});

hubTest(
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

hubTest('session timeout: a warning before the idle sign-out, then sign-out', async (ctx) => {
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
