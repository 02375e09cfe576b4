import type { Locator, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startBedsideAgent } from './test/bedside-agent.js';
import {
  checkAccessibility,
  checkTabletWidths,
  describeViolations,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { demoUser } from './test/hub.js';
import { signIn } from './test/session.js';
import { useHubAndBrowser, type HubBrowserContext } from './test/hub-browser-suite.js';

// Enrolment, TLS, the first heartbeat and the view's 10 s refresh, on a loaded machine.
const AGENT_WAIT_MS = 120_000;
const LABEL = 'Ward 3 bedside hub';

interface Ctx extends HubBrowserContext {
  page?: Page;
  token?: string;
}

const fleet = suite<Ctx>('IT fleet view', { contexts: [] });
await useHubAndBrowser(fleet);

function rowOf(page: Page, label: string): Locator {
  return page.locator('tr[data-agent-id]', { has: page.locator('th', { hasText: label }) });
}

/** The text of a row's cells, by column heading. */
async function cellsOf(row: Locator): Promise<Record<string, string>> {
  const texts = await row.locator('td').allTextContents();
  const names = ['state', 'queue', 'oldest', 'devices', 'version', 'actions'];

  return Object.fromEntries(names.map((n, i) => [n, (texts[i] ?? '').trim()]));
}

fleet('the demo agent is online with its queue, devices and version', async (ctx) => {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  await signIn(page, demoUser(ctx.hub!, 'it-admin'));
  await page.getByRole('heading', { name: 'Edge fleet', level: 1 }).waitFor();
  ctx.page = page;
  const demo = page.locator('tr[data-state="online"]').first();
  await demo.waitFor({ timeout: AGENT_WAIT_MS });

  const cells = await cellsOf(demo);
  assert.is(cells.state, 'online');
  assert.match(cells.queue, /^\d+$/, 'queue depth is a count');
  assert.match(cells.oldest, /^(empty|\d+ (s|min|h)( \d+ min)?)$/, 'oldest queued age');
  assert.match(cells.version, /\d+\.\d+\.\d+/, 'the agent reports its version');
  assert.match(cells.version, /config v\d+/);
});

fleet('a one-time token from the view enrolls a real agent, which appears', async (ctx) => {
  const page = ctx.page!;
  await page.getByLabel('Label (optional)').fill(LABEL);
  await page.getByRole('button', { name: 'Create one-time token' }).click();
  ctx.token = await page.getByTestId('enroll-token').innerText();
  assert.match(ctx.token, /\S{16,}/);

  // `sparkden-agent enroll --token …`, then `run`, as IT would on the bedside box.
  ctx.bedside = await startBedsideAgent(ctx.hub!, {
    itAdmin: demoUser(ctx.hub!, 'it-admin'),
    patientId: 'demo-patient-1',
    readings: [{ code: 'heart-rate', value: 72, at: Date.now() }],
    token: ctx.token.trim(),
  });
  const row = rowOf(page, LABEL);
  await row.and(page.locator('[data-state="online"]')).waitFor({ timeout: AGENT_WAIT_MS });

  // The device's state follows the agent's heartbeats, past its first "connecting".
  await row.getByText(/test-bedside-monitor-1 \(ndjson-file\): connected/).waitFor();
  const cells = await cellsOf(row);
  assert.match(cells.queue, /^\d+$/);
  assert.match(cells.version, /\d+\.\d+\.\d+/);
  const violations = await checkAccessibility(page);
  assert.equal(violations, [], describeViolations(violations));
  await saveScreenshot(page, 'fleet');
  assert.equal(await checkTabletWidths(page, 'fleet'), []);
});

fleet('a pushed configuration is applied by the agent', async (ctx) => {
  const page = ctx.page!;
  const row = rowOf(page, LABEL);
  const before = await cellsOf(row);
  const version = Number(/config v(\d+)/.exec(before.version)?.[1] ?? 0);

  await row.getByRole('button', { name: /^Push config/ }).click();
  await page.getByLabel('Configuration (JSON)').fill('{ "uplink": { "heartbeatSeconds": 15 } }');
  await page.getByRole('button', { name: 'Push configuration' }).click();
  await page.getByText(/^Configuration v\d+ pushed to /).waitFor({ state: 'attached' });

  const applied = row.locator('td', { hasText: `config v${version + 1} (applied)` });
  await applied.waitFor({ timeout: AGENT_WAIT_MS });
});

fleet('revoking the agent changes its state', async (ctx) => {
  const page = ctx.page!;
  const row = rowOf(page, LABEL);
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await page.getByRole('heading', { name: `Revoke ${LABEL}` }).waitFor();
  await page.getByLabel('Reason').selectOption('decommissioned');
  await page.getByRole('button', { name: 'Revoke agent' }).click();

  await row.and(page.locator('[data-state="revoked"]')).waitFor({ timeout: AGENT_WAIT_MS });
  assert.is((await cellsOf(row)).state, 'revoked');
  assert.is(await row.getByRole('button', { name: /^Revoke/ }).count(), 0);
  await saveScreenshot(page, 'fleet-revoked');
});

fleet.run();
