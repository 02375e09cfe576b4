import type { Browser, BrowserContext, Locator, Page, WebSocketRoute } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  checkAccessibility,
  describeViolations,
  launchBrowser,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { demoUser, loadStartHub, startTestHub, type TestHub } from './test/hub.js';
import { signIn } from './test/session.js';

// The simulated oximeter must desaturate for 10 s before the rule fires; give the whole
// chain (device → agent → broker → store → rules → console) room on a loaded CI machine.
const ALERT_WAIT_MS = 90_000;

/**
 * A switchable link between a page and the hub's socket.io endpoint: every WebSocket is
 * passed through to the real hub while `up`; `cut()` drops the live one and refuses new
 * ones, as a Wi-Fi dead spot would, until `restore()`.
 */
interface Link {
  up: boolean;
  current?: WebSocketRoute;
  cut(): Promise<void>;
  restore(): void;
}

async function routeThroughLink(page: Page): Promise<Link> {
  const link: Link = {
    up: true,
    async cut() {
      link.up = false;
      await link.current
        ?.close({ code: 1006, reason: 'test: network lost' })
        .catch(() => undefined);
    },
    restore() {
      link.up = true;
    },
  };
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!link.up) {
      void ws.close({ code: 1006, reason: 'test: network lost' });
      return;
    }
    link.current = ws;
    ws.connectToServer();
  });

  return link;
}

interface Ctx {
  hub?: TestHub;
  browser?: Browser;
  first?: Page;
  second?: Page;
  secondLink?: Link;
  alertId?: string;
  contexts: BrowserContext[];
}

const consoleSuite = suite<Ctx>('nurse alert console', { contexts: [] });
const startHub = await loadStartHub();

consoleSuite.before(async (ctx) => {
  if (!startHub) {
    return;
  }
  ctx.hub = await startTestHub(startHub);
  ctx.browser = await launchBrowser();
});

consoleSuite.after(async (ctx) => {
  for (const c of ctx.contexts) {
    await c.close();
  }
  await ctx.browser?.close();
  await ctx.hub?.stop();
});

async function openConsole(
  ctx: Ctx,
  totpOffsetSteps: number,
  beforeSignIn?: (page: Page) => Promise<void>,
): Promise<Page> {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  await beforeSignIn?.(page);
  await signIn(page, demoUser(ctx.hub!, 'nurse'), totpOffsetSteps);
  await page.getByRole('heading', { name: 'Alert console' }).waitFor();
  await page.locator('.conn[data-state="live"]').waitFor();

  return page;
}

function firingAlert(page: Page): Locator {
  return page.locator('li.alert[data-state="firing"]').first();
}

// Without the gateway's startHub there is nothing to test against; the file then runs no test
// and says why, rather than counting skips as passes.
function hubTest(name: string, fn: (ctx: Ctx) => Promise<void>): void {
  if (startHub) {
    consoleSuite(name, fn);
  }
}
if (!startHub) {
  console.log('startHub is not exported by @sparkden/gateway yet: console tests not run');
}

hubTest('a nurse signs in with password and TOTP and lands on a live console', async (ctx) => {
  ctx.first = await openConsole(ctx, 0);

  assert.is(await ctx.first.locator('.conn').innerText(), 'Live');
  assert.is(
    await ctx.first.getByRole('link', { name: 'Alert console' }).getAttribute('aria-current'),
    'page',
  );
});

hubTest('an alert raised by the simulated oximeter appears, with banner and sound', async (ctx) => {
  const page = ctx.first!;
  const alert = firingAlert(page);
  await alert.waitFor({ timeout: ALERT_WAIT_MS });

  const severity = await alert.getAttribute('data-severity');
  assert.ok(severity, 'the alert shows its severity');
  if (severity === 'high' || severity === 'urgent') {
    await page.getByTestId('urgent-banner').waitFor();
    const sounds = await page.locator('[data-sounds-played]').getAttribute('data-sounds-played');
    assert.ok(Number(sounds) >= 1, 'a new urgent alert sounds the tone');
    assert.is(await alert.getByText('Urgent alerts cannot be silenced.').count(), 1);
  }
  await saveScreenshot(page, 'console-alert');
});

hubTest(
  'a second console sees the alert, and an acknowledgement on the first reaches it',
  async (ctx) => {
    ctx.second = await openConsole(ctx, 1, async (page) => {
      ctx.secondLink = await routeThroughLink(page);
    });
    const alertId = await firingAlert(ctx.first!).getAttribute('data-alert-id');
    assert.ok(alertId);
    ctx.alertId = alertId;
    const onSecond = ctx.second.locator(`li.alert[data-alert-id="${alertId}"]`);
    await onSecond.waitFor();
    assert.is(await onSecond.getAttribute('data-state'), 'firing');

    const onFirst = ctx.first!.locator(`li.alert[data-alert-id="${alertId}"]`);
    await onFirst.getByRole('button', { name: 'Acknowledge' }).click();
    await ctx
      .first!.locator(`li.alert[data-alert-id="${alertId}"][data-state="acknowledged"]`)
      .waitFor();
    await ctx.second
      .locator(`li.alert[data-alert-id="${alertId}"][data-state="acknowledged"]`)
      .waitFor();

    assert.match(await onSecond.locator('.state').innerText(), /^Acknowledged/);
    await saveScreenshot(ctx.second, 'console-acknowledged-second');
  },
);

hubTest('escalating and marking not actionable on one console show on the other', async (ctx) => {
  const selector = `li.alert[data-alert-id="${ctx.alertId!}"]`;
  const onFirst = ctx.first!.locator(selector);
  const onSecond = ctx.second!.locator(selector);

  await onFirst.getByRole('button', { name: 'Escalate' }).click();
  await onFirst.getByText('Escalated to the next person on the policy.').waitFor();
  await onSecond.locator('.meta', { hasText: /escalated to / }).waitFor();

  await onFirst.locator('summary', { hasText: 'More actions' }).click();
  await onFirst.getByLabel('Not actionable because').selectOption({ index: 1 });
  await onFirst.getByRole('button', { name: 'Mark not actionable' }).click();
  await onSecond.locator('.meta', { hasText: 'marked not actionable' }).waitFor();
  await saveScreenshot(ctx.second!, 'console-escalated-second');
});

hubTest('a console that lost its link replays what it missed when it reconnects', async (ctx) => {
  const second = ctx.second!;
  const selector = `li.alert[data-alert-id="${ctx.alertId!}"]`;
  await ctx.secondLink!.cut();
  await second.locator('.conn[data-state="reconnecting"]').waitFor();
  await second.getByRole('alert').filter({ hasText: 'Connection to the hub lost' }).waitFor();
  await saveScreenshot(second, 'console-connection-lost');

  // While the second console is away, the first one resolves the alert.
  await ctx.first!.locator(selector).getByRole('button', { name: 'Resolve' }).click();
  await ctx.first!.locator(`${selector}[data-state="resolved"]`).waitFor();
  assert.is(await second.locator(selector).getAttribute('data-state'), 'acknowledged');

  ctx.secondLink!.restore();
  await second.locator('.conn[data-state="live"]').waitFor();
  await second.locator(`${selector}[data-state="resolved"]`).waitFor();
});

hubTest('the console has no WCAG 2.1 AA violations with alerts on screen', async (ctx) => {
  const violations = await checkAccessibility(ctx.first!);

  assert.equal(violations, [], describeViolations(violations));
});

hubTest('the patient chart opens from the alert, with trends and thresholds', async (ctx) => {
  const page = ctx.first!;
  await page
    .getByRole('link', { name: /^Open chart/ })
    .first()
    .click();
  await page.locator('section[data-vital="spo2"] canvas').first().waitFor();

  const caption = await page.locator('section[data-vital="spo2"] figcaption').innerText();
  assert.match(caption, /Latest \d+ %/);
  const violations = await checkAccessibility(page);
  assert.equal(violations, [], describeViolations(violations));
  await saveScreenshot(page, 'patient-chart');
});

consoleSuite.run();
