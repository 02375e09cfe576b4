import type { Locator, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startBedsideAgent, type BedsideReading } from './test/bedside-agent.js';
import {
  checkAccessibility,
  checkTabletWidths,
  describeViolations,
  newTablet,
  saveScreenshot,
} from './test/browser.js';
import { demoUser, type DemoUser } from './test/hub.js';
import { routeThroughLink, type Link } from './test/link.js';
import {
  countAudio,
  readAudio,
  readChartPixels,
  readNews2Table,
  type News2Row,
} from './test/page-probes.js';
import { sessionOf, signIn } from './test/session.js';
import { useHubAndBrowser, type HubBrowserContext } from './test/hub-browser-suite.js';

// The simulated oximeter must desaturate for 10 s before the rule fires; give the whole
// chain (device → agent → broker → store → rules → console) room on a loaded CI machine.
const ALERT_WAIT_MS = 90_000;

interface Ctx extends HubBrowserContext {
  first?: Page;
  second?: Page;
  secondLink?: Link;
  alertId?: string;
}

const consoleSuite = suite<Ctx>('nurse alert console', { contexts: [] });
await useHubAndBrowser(consoleSuite);

async function openConsole(
  ctx: Ctx,
  user: DemoUser,
  beforeSignIn?: (page: Page) => Promise<void>,
): Promise<Page> {
  const context = await newTablet(ctx.browser!, ctx.hub!.url);
  ctx.contexts.push(context);
  const page = await context.newPage();
  await beforeSignIn?.(page);
  await signIn(page, user);
  await page.getByRole('heading', { name: 'Alert console' }).waitFor();
  await page.locator('.conn[data-state="live"]').waitFor();

  return page;
}

function firingAlert(page: Page): Locator {
  return page.locator('li.alert[data-state="firing"]').first();
}

const MINUTE = 60_000;

/**
 * A bedside monitor's readings for the demo patient: a respiration rate that stopped for
 * half an hour and came back high, a low systolic pressure and a fever. With the demo
 * oximeter's SpO2 and pulse, NEWS2 is at least 3 + 3 + 2 = 8: high, so urgent.
 */
function bedsideReadings(now: number): BedsideReading[] {
  const readings: BedsideReading[] = [
    { code: 'resp-rate', value: 26, at: now },
    { code: 'bp-systolic', value: 88, at: now },
    { code: 'body-temp', value: 39.4, at: now },
  ];
  for (let m = 1; m <= 8; m += 1) {
    readings.push({ code: 'resp-rate', value: 24, at: now - m * MINUTE });
  }
  // Silent from 8 to 40 minutes ago: the chart must show it.
  for (let m = 40; m <= 55; m += 1) {
    readings.push({ code: 'resp-rate', value: 17, at: now - m * MINUTE });
  }

  return readings;
}

function rowOf(rows: News2Row[], parameter: string): News2Row | undefined {
  return rows.find((r) => r.parameter === parameter);
}

consoleSuite('a nurse signs in with password and TOTP and lands on a live console', async (ctx) => {
  ctx.first = await openConsole(ctx, demoUser(ctx.hub!, 'nurse'), countAudio);

  assert.is(await ctx.first.locator('.conn').innerText(), 'Live');
  assert.is(
    await ctx.first.getByRole('link', { name: 'Alert console' }).getAttribute('aria-current'),
    'page',
  );
});

consoleSuite(
  'bedside readings raise an urgent NEWS2 alert, with banner, sound and parts',
  async (ctx) => {
    const page = ctx.first!;
    ctx.bedside = await startBedsideAgent(ctx.hub!, {
      itAdmin: demoUser(ctx.hub!, 'it-admin'),
      patientId: 'demo-patient-1',
      readings: bedsideReadings(Date.now()),
    });
    const alert = page
      .locator('li.alert[data-state="firing"][data-severity="high"]')
      .filter({ has: page.locator('h3', { hasText: /^NEWS2: \d+ \(high\)$/ }) });
    const table = alert.locator('.news2 table');
    await table
      .filter({ hasText: 'Systolic BP' })
      .getByText('88 mmHg')
      .waitFor({ timeout: ALERT_WAIT_MS });

    await page.getByTestId('urgent-banner').waitFor();
    assert.match(
      await page.getByTestId('urgent-banner').innerText(),
      /^Urgent: .+ Not yet acknowledged\./,
    );
    const sounds = await page.locator('[data-sounds-played]').getAttribute('data-sounds-played');
    assert.ok(Number(sounds) >= 1, `a new urgent alert sounds the tone (played ${sounds})`);
    const audio = await readAudio(page);
    assert.is(audio.contextState, 'running', 'the audio context runs');
    assert.ok(
      audio.oscillatorsStarted >= 5,
      `the tone's pulses started (${audio.oscillatorsStarted})`,
    );
    assert.is(await alert.getByText('Urgent alerts cannot be silenced.').count(), 1);

    const { caption, rows } = await readNews2Table(table);
    const total = Number(/^NEWS2 (\d+): high risk$/.exec(caption)?.[1]);
    const sum = rows.reduce((n, r) => n + (Number(r.score) || 0), 0);
    assert.is(total, sum, `the total is the sum of its parts: ${JSON.stringify(rows)}`);
    assert.ok(total >= 8, `NEWS2 ${total}`);
    assert.equal(rowOf(rows, 'Respiration rate'), {
      parameter: 'Respiration rate',
      value: '26 /min',
      score: '3',
    });
    assert.equal(rowOf(rows, 'Systolic BP'), {
      parameter: 'Systolic BP',
      value: '88 mmHg',
      score: '3',
    });
    assert.equal(rowOf(rows, 'Temperature'), {
      parameter: 'Temperature',
      value: '39.4 °C',
      score: '2',
    });
    assert.equal(rowOf(rows, 'Air or oxygen'), {
      parameter: 'Air or oxygen',
      value: 'Air',
      score: '0',
    });
    assert.equal(rowOf(rows, 'Consciousness'), {
      parameter: 'Consciousness',
      value: 'Alert (A)',
      score: '0',
    });
    for (const parameter of ['SpO₂', 'Pulse']) {
      assert.match(rowOf(rows, parameter)?.score ?? '', /^[0-3]$/, `${parameter} is scored`);
    }
    await saveScreenshot(page, 'console-alert');
  },
);

consoleSuite('the console fits a tablet in both orientations, alert actions open', async (ctx) => {
  const page = ctx.first!;
  await firingAlert(page).locator('summary', { hasText: 'More actions' }).click();

  const problems = await checkTabletWidths(page, 'console-alert');
  assert.equal(problems, []);
  await firingAlert(page).locator('summary', { hasText: 'More actions' }).click();
});

consoleSuite(
  'the patient chart draws thresholds and the gap where the monitor was silent',
  async (ctx) => {
    // Soon after the readings came, before the silence since the last one is a gap too.
    const page = ctx.first!;
    await page
      .getByRole('link', { name: /^Open chart/ })
      .first()
      .click();
    const spo2 = page.locator('section[data-vital="spo2"]');
    const pulse = page.locator('section[data-vital="heart-rate"]');
    const resp = page.locator('section[data-vital="resp-rate"]');
    const systolic = page.locator('section[data-vital="bp-systolic"]');
    for (const chart of [spo2, pulse, resp, systolic]) {
      await chart.locator('.uplot canvas').first().waitFor();
    }

    assert.match(await spo2.locator('figcaption').innerText(), /Latest \d+ %/);
    // The lines drawn are the hub's threshold rules for each vital, one red dashed line each.
    const { accessToken } = await sessionOf(page);
    const res = await fetch(`${ctx.hub!.url}/api/alerting/rules`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const { rules } = (await res.json()) as {
      rules: Array<{ kind: string; enabled: boolean; code?: string }>;
    };
    const ruleCount = (code: string) =>
      rules.filter((r) => r.kind === 'threshold' && r.enabled && r.code === code).length;
    // A monitor's systolic pressure on its own, not in a cuff's panel, is charted too.
    assert.match(await systolic.locator('figcaption').innerText(), /Latest 88 mmHg/);
    for (const [chart, code] of [
      [spo2, 'spo2'],
      [pulse, 'heart-rate'],
      [systolic, 'bp-systolic'],
    ] as const) {
      const pixels = await readChartPixels(chart.locator('.uplot'));
      assert.ok(ruleCount(code) > 0, `the hub has threshold rules for ${code}`);
      assert.is(pixels.thresholdCoverage.length, ruleCount(code), `${code}: one line per rule`);
      for (const share of pixels.thresholdCoverage) {
        assert.ok(share > 0.3, `${code}: the threshold line is drawn (${share})`);
      }
    }

    // The monitor was silent from 40 to 8 minutes ago: one gap, shaded, with no line across it.
    assert.match(
      await resp.locator('figcaption').innerText(),
      /Latest 26 \/min; .*; 1 gap in the data/,
    );
    await resp.locator('summary', { hasText: 'Gaps and devices' }).click();
    assert.match(
      await resp.locator('details li', { hasText: 'No data' }).innerText(),
      /\(3[12] min\)$/,
    );
    const gap = await readChartPixels(resp.locator('.uplot'));
    assert.is(gap.linePixelsInGaps.length, 1);
    assert.is(gap.linePixelsInGaps[0], 0, 'the line breaks across the gap');
    assert.ok(gap.linePixelsOutside > 50, `the line is drawn around it (${gap.linePixelsOutside})`);
    assert.ok(
      (gap.gapEdgeCoverage[0] ?? 0) > 0.15,
      `the gap's edge is drawn (${gap.gapEdgeCoverage[0]})`,
    );

    assert.equal(await checkTabletWidths(page, 'patient-chart'), []);
    const violations = await checkAccessibility(page);
    assert.equal(violations, [], describeViolations(violations));
    await saveScreenshot(page, 'patient-chart');

    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Alert console' }).click();
    await page.locator('.conn[data-state="live"]').waitFor();
  },
);

consoleSuite(
  'a second console sees the alert, and an acknowledgement on the first reaches it, named',
  async (ctx) => {
    // Another nurse of the demo unit: the first console's own acknowledgement says "by you".
    const colleague = await ctx.hub!.addNurse({
      username: 'test-nurse-2',
      name: { prefix: ['Nurse'], given: ['Robin'], family: 'Hale' },
    });
    ctx.second = await openConsole(ctx, colleague, async (page) => {
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

    // The demo nurse's Practitioner is Riley Shaw (the gateway's seedDemo).
    assert.match(await onSecond.locator('.state').innerText(), /^Acknowledged by Riley Shaw at \d/);
    assert.match(await onFirst.locator('.state').innerText(), /^Acknowledged by you at \d/);
    await saveScreenshot(ctx.second, 'console-acknowledged-second');
  },
);

consoleSuite(
  'escalating and marking not actionable on one console show on the other',
  async (ctx) => {
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
  },
);

consoleSuite(
  'a console that lost its link replays what it missed when it reconnects',
  async (ctx) => {
    const second = ctx.second!;
    const selector = `li.alert[data-alert-id="${ctx.alertId!}"]`;
    await ctx.secondLink!.cut();
    await second.locator('.conn[data-state="reconnecting"]').waitFor();
    await second.getByRole('alert').filter({ hasText: 'Connection to the hub lost' }).waitFor();
    await saveScreenshot(second, 'console-connection-lost');
    const lost = await checkAccessibility(second);
    assert.equal(lost, [], describeViolations(lost));

    // While the second console is away, the first one resolves the alert.
    await ctx.first!.locator(selector).getByRole('button', { name: 'Resolve' }).click();
    await ctx.first!.locator(`${selector}[data-state="resolved"]`).waitFor();
    assert.is(await second.locator(selector).getAttribute('data-state'), 'acknowledged');

    ctx.secondLink!.restore();
    await second.locator('.conn[data-state="live"]').waitFor();
    await second.locator(`${selector}[data-state="resolved"]`).waitFor();
  },
);

consoleSuite(
  'a nurse acknowledges an alert from the keyboard alone, focus always visible',
  async (ctx) => {
    const page = ctx.first!;
    await firingAlert(page).waitFor({ timeout: ALERT_WAIT_MS });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // Tab through the page as a keyboard user would, until an Acknowledge button has focus.
    let focused: { alertId?: string; text: string; visible: boolean; outline: string } | undefined;
    const unseen: string[] = [];
    for (let presses = 0; presses < 300; presses += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        const style = el ? getComputedStyle(el) : undefined;
        const ringed = style !== undefined && style.outlineStyle !== 'none';

        return {
          alertId: el?.closest<HTMLElement>('li.alert[data-state="firing"]')?.dataset.alertId,
          text: (el?.textContent ?? '').trim(),
          visible: el !== null && el.matches(':focus-visible') && ringed,
          outline: style ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : '',
        };
      });
      if (!focused.visible) {
        unseen.push(focused.text.slice(0, 30));
      }
      if (focused.alertId && focused.text === 'Acknowledge') {
        break;
      }
    }
    const alertId = focused?.alertId;
    assert.ok(alertId, 'Tab reaches an Acknowledge button');
    assert.equal(unseen, [], 'every stop of the Tab order shows a focus ring');
    assert.match(focused?.outline ?? '', /^solid 3px /);
    await saveScreenshot(page, 'console-keyboard-focus');

    await page.keyboard.press('Enter');
    const selector = `li.alert[data-alert-id="${alertId}"]`;
    await page.locator(`${selector}[data-state="acknowledged"]`).waitFor();
    // The button now offers Resolve and keeps focus; Space works on it as Enter does.
    assert.is(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Resolve');
    await page.keyboard.press('Space');
    await page.locator(`${selector}[data-state="resolved"]`).waitFor();
  },
);

consoleSuite('the console has no WCAG 2.1 AA violations with alerts on screen', async (ctx) => {
  const violations = await checkAccessibility(ctx.first!);

  assert.equal(violations, [], describeViolations(violations));
});

consoleSuite.run();
