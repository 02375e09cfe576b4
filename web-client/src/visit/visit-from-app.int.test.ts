/**
 * Joining a visit from the app, in headless Chromium against a real demo hub: the worklist's
 * and the portal's visit links open `visit.html?appointment=ID`, and the page gets its join
 * token from the hub with the signed-in session, then reaches the hub's visit signaling (the
 * patient waits in the lobby; the clinician is offered to start the visit as its host).
 * Media itself is the SFU's end-to-end test (sfu/src/visit.e2e.int.test.ts).
 */
import { reportMissingMedia } from '@sparkden/sfu';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { CHROMIUM_PATH } from '../test/browser.js';
import { demoUser, loadStartHub, startTestHub, type TestHub } from '../test/hub.js';
import { signIn } from '../test/session.js';

const startHub = await loadStartHub();
let hub: TestHub;
let browser: Browser;

async function openPage(): Promise<Page> {
  const context = await browser.newContext({
    baseURL: hub.url,
    permissions: ['camera', 'microphone'],
  });

  return context.newPage();
}

async function bookVisitNow(page: Page): Promise<string> {
  const token = await page.evaluate(
    () =>
      (JSON.parse(sessionStorage.getItem('sparkden.session') ?? '{}') as { accessToken?: string })
        .accessToken ?? '',
  );
  const start = new Date();
  const res = await fetch(`${hub.url}/fhir/Appointment`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Appointment',
      status: 'booked',
      description: 'Video visit',
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      participant: [
        { actor: { reference: 'Patient/demo-patient-1' }, status: 'accepted' },
        { actor: { reference: 'Practitioner/demo-clinician' }, status: 'accepted' },
      ],
    }),
  });
  assert.is(res.status, 201, 'the clinician books the visit');

  return ((await res.json()) as { id: string }).id;
}

async function deviceCheckDone(page: Page): Promise<void> {
  await page.getByTestId('join').waitFor({ state: 'visible' });
  await page.waitForFunction(`!document.querySelector('[data-testid="join"]').disabled`);
}

const missing = !startHub
  ? 'startHub is not exported by @sparkden/gateway'
  : !existsSync(CHROMIUM_PATH)
    ? `${CHROMIUM_PATH} missing`
    : null;

if (missing) {
  reportMissingMedia(test, 'visit from the app', missing);
} else {
  test.before(async () => {
    hub = await startTestHub(startHub!);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });

  test.after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  test('clinician and patient open the visit from the app and reach its signaling', async () => {
    const clinician = await openPage();
    await signIn(clinician, demoUser(hub, 'clinician'));
    const appointmentId = await bookVisitNow(clinician);
    const patient = await openPage();
    await signIn(patient, demoUser(hub, 'patient'));

    await clinician.reload();
    await clinician.getByRole('link', { name: /^Join/ }).first().click();
    await clinician.waitForURL(/visit\.html\?appointment=/);
    await deviceCheckDone(clinician);
    await patient.reload();
    await patient.getByRole('link', { name: 'Join video visit' }).first().click();
    await patient.waitForURL(/visit\.html\?appointment=/);
    await deviceCheckDone(patient);
    await patient.getByTestId('join').click();

    await patient.getByTestId('lobby').waitFor({ state: 'visible' });
    assert.ok(new URL(patient.url()).searchParams.get('appointment') === appointmentId);
    assert.is(await clinician.getByTestId('join').innerText(), 'Start visit');
    assert.is(await clinician.evaluate(() => document.body.dataset.role), 'host');
    assert.is(await patient.evaluate(() => document.body.dataset.role), 'patient');
    const welcome = await patient.evaluate(
      () => (window as unknown as { __visit: { welcome?: { state: string } } }).__visit.welcome,
    );
    assert.is(welcome?.state, 'lobby');
  });

  test('without a session the page asks the user to sign in', async () => {
    const page = await openPage();

    await page.goto('/visit.html?appointment=some-visit');

    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible' });
    assert.is(await error.getAttribute('data-code'), 'UNAUTHORIZED');
    assert.ok(await page.getByRole('link', { name: 'Sign in' }).isVisible());
  });
}

test.run();
