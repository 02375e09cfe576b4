import type { Page } from 'playwright-core';

import type { DemoUser } from './hub.js';
import { totpCode } from './totp.js';

const STEP_MS = 30_000;

/**
 * Signs a demo user in through the real form, as a person would: user name and password,
 * then the code their authenticator shows. The hub refuses a code from a 30 s step at or
 * before the last one that user spent [RFC 6238 5.2], so a second sign-in of the same
 * user may pass `totpOffsetSteps: 1` (the hub accepts one step of drift), and a refused
 * code is retried once with the code of the next step, as a person would wait for it.
 */
export async function signIn(page: Page, user: DemoUser, totpOffsetSteps = 0): Promise<void> {
  await page.goto('/');
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Continue' }).click();

  const codeField = page.getByLabel('Six-digit code');
  const signedIn = page.getByRole('navigation', { name: 'Main' });
  await codeField.or(signedIn).first().waitFor();
  if (!(await codeField.isVisible())) {
    return;
  }
  if (!user.totpSecret) {
    throw new TypeError(`demo user ${user.role} has no TOTP secret`);
  }
  const refused = page.getByText('That code did not work');
  let offset = totpOffsetSteps;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const at = Date.now() + offset * STEP_MS;
    await codeField.fill(totpCode(user.totpSecret, at));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await refused.or(signedIn).first().waitFor();
    if (await signedIn.isVisible()) {
      return;
    }
    await page.waitForTimeout(STEP_MS - (at % STEP_MS) + 500);
    offset = 0;
  }
  await signedIn.waitFor({ timeout: 1000 });
}

/** The signed-in page's access token and subject, for calling the hub's API as that user. */
export async function sessionOf(page: Page): Promise<{ accessToken: string; sub: string }> {
  const raw = await page.evaluate(() => sessionStorage.getItem('sparkden.session'));
  const data = JSON.parse(raw ?? '{}') as { accessToken?: string; sub?: string };
  if (!data.accessToken || !data.sub) {
    throw new TypeError('the page holds no session');
  }

  return { accessToken: data.accessToken, sub: data.sub };
}
