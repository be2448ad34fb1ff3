import { type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { DevicesPage, signUp, test } from '../support/account';
import { authCookie, type Credentials, expect, jwtStrategy, LoginForm, sessionStrategy, type Strategy } from '../support/fixtures';

// The lab at /learn/lab, driven as a learner would: plain forms, no
// JavaScript needed. Every test signs up a fresh user, since the lab's
// experiments end logins and fail passwords; the demo user is never used.

/** signIn logs user in under each strategy from its login form. */
async function signIn(page: Page, user: Credentials, ...which: Strategy[]) {
  for (const s of which) await new LoginForm(page, s).login(user);
}

/** logOut presses Log out on s's dashboard, which lands on /compare. */
async function logOut(page: Page, s: Strategy) {
  await page.goto(s.dashboardPath);
  await page.getByRole('main').getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/compare');
}

/** keepCopies presses "Keep a copy of my cookies" and waits for the lab to say what it kept. */
async function keepCopies(page: Page) {
  await page.goto('/learn/lab');
  await page.getByRole('button', { name: 'Keep a copy of my cookies' }).click();
  await expect(page).toHaveURL(/\/learn\/lab#steal$/);
  await expect(page.getByTestId('lab-kept')).toContainText('session cookie and JWT');
}

/** replay presses "Replay the copies" and returns the two answers. */
async function replay(page: Page) {
  await page.goto('/learn/lab');
  const res = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/learn/lab/replay');
  await page.getByRole('button', { name: 'Replay the copies' }).click();
  expect((await res).status(), 'POST /learn/lab/replay').toBe(200);
  return { session: page.getByTestId('replay-session'), jwt: page.getByTestId('replay-jwt') };
}

test.describe('steal and replay', () => {
  test('after a plain logout, both copies are refused: record gone, jti and sid revoked', async ({ page, request, baseURL }) => {
    const user = await signUp(request, baseURL);
    await signIn(page, user, sessionStrategy, jwtStrategy);
    await keepCopies(page);

    // Before anything ends, the copies work as well as the originals.
    let answers = await replay(page);
    await expect(answers.session.getByText(`Signed in as ${user.username}`)).toBeVisible();
    await expect(answers.jwt.getByText(`Signed in as ${user.username}`)).toBeVisible();

    await logOut(page, sessionStrategy);
    await logOut(page, jwtStrategy);

    answers = await replay(page);
    await expect(page.getByTestId('replay-session-reason')).toHaveText('revoked');
    await expect(page.getByTestId('replay-session-check')).toContainText('Record gone');
    await expect(page.getByTestId('replay-jwt-reason')).toHaveText('revoked');
    await expect(page.getByTestId('replay-jwt-check')).toContainText('both its jti (this token) and its sid');
    await expect(answers.jwt.getByRole('link', { name: 'Tokens.Verify' })).toHaveAttribute('href', '/learn/4#code-Tokens-Verify');
    await expect(answers.session.getByRole('link', { name: 'Sessions.current' })).toHaveAttribute('href', '/learn/4#code-Sessions-current');
  });

  test('after End on the devices page, both copies are refused: the login ended, its sid revoked', async ({ page, request, baseURL }) => {
    const user = await signUp(request, baseURL);
    await signIn(page, user, sessionStrategy, jwtStrategy);
    await keepCopies(page);

    const devices = new DevicesPage(page);
    await devices.goto();
    await expect(devices.current).toHaveCount(2);
    // End this browser's session login, then its JWT login (the page stays
    // open under the JWT in between).
    await devices.current.filter({ hasText: sessionStrategy.name }).getByRole('button', { name: /^End / }).click();
    await devices.goto();
    await devices.current.filter({ hasText: jwtStrategy.name }).getByRole('button', { name: /^End / }).click();
    expect(await authCookie(page.context(), sessionStrategy), 'the session cookie after End').toBeFalsy();

    await replay(page);
    await expect(page.getByTestId('replay-session-reason')).toHaveText('revoked');
    await expect(page.getByTestId('replay-jwt-reason')).toHaveText('revoked');
    await expect(page.getByTestId('replay-jwt-check')).toContainText('its sid');
  });

  test('copies are the browser\'s own: another browser replays nothing', async ({ browser, baseURL, page, request }) => {
    const user = await signUp(request, baseURL);
    await signIn(page, user, sessionStrategy, jwtStrategy);
    await keepCopies(page);
    const other = await browser.newContext({ baseURL });
    try {
      const res = await other.request.post('/learn/lab/replay', { headers: { Origin: new URL(baseURL!).origin } });
      expect(res.status()).toBe(404);
      expect(await res.text()).toContain('No copies to replay');
    } finally {
      await other.close();
    }
  });
});

test.describe('tamper', () => {
  test('alg: none and another sub are refused as bad signatures', async ({ page, request, baseURL }) => {
    const user = await signUp(request, baseURL);
    await signIn(page, user, jwtStrategy);
    await page.goto('/learn/lab');
    await expect(page.getByLabel('Claims (JSON)')).toHaveValue(/"sub"/);

    await page.getByRole('button', { name: 'alg: none' }).click();
    await expect(page.getByTestId('tamper-reason')).toHaveText('bad_signature');
    await expect(page.getByTestId('tamper-why')).toContainText('algorithm is pinned');
    await expect(page.getByLabel('Header (JSON)')).toHaveValue(/"alg": "none"/);

    await page.getByRole('button', { name: 'Another sub' }).click();
    await expect(page.getByTestId('tamper-reason')).toHaveText('bad_signature');
    await expect(page.getByTestId('tamper-why')).toContainText('HMAC-SHA256');

    // The form sent back unedited verifies: the edit, not the round trip, is refused.
    await page.goto('/learn/lab');
    await page.getByRole('button', { name: 'Verify my edit' }).click();
    await expect(page.getByTestId('tamper-result')).toContainText(`Accepted, as ${user.username}`);

    // A claim edited by hand into broken JSON is a clear 400.
    await page.getByLabel('Claims (JSON)').fill('{"sub": ');
    const res = page.waitForResponse((r) => new URL(r.url()).pathname === '/learn/lab/tamper');
    await page.getByRole('button', { name: 'Verify my edit' }).click();
    expect((await res).status()).toBe(400);
    await expect(page.getByRole('main')).toContainText('not a JSON object');
  });

  test('a session cookie with one character changed names no record', async ({ page, request, baseURL }) => {
    const user = await signUp(request, baseURL);
    await signIn(page, user, sessionStrategy);
    await page.goto('/learn/lab');
    await page.getByRole('button', { name: 'Change one character and present it' }).click();
    await expect(page.getByTestId('flip-reason')).toHaveText('expired');
    await expect(page.getByTestId('flip-result')).toContainText('nothing else');
  });
});

test('leak: the session row is keyed by the SHA-256 of the token, which is refused as a cookie', async ({ page, request, baseURL }) => {
  const user = await signUp(request, baseURL);
  await signIn(page, user, sessionStrategy, jwtStrategy);
  await page.goto('/learn/lab');
  const cookie = (await authCookie(page.context(), sessionStrategy))!;
  const hash = createHash('sha256').update(cookie.value).digest('hex');
  await expect(page.getByTestId('leak-session-key')).toHaveText(hash);
  await expect(page.getByTestId('leak-hash-reason')).toHaveText('malformed');
  await expect(page.getByTestId('leak-kid')).toHaveText(/^[0-9a-f]{16}$/);
  const body = await page.content();
  expect(body).not.toContain(cookie.value);
  expect(body).not.toContain('$argon2id$');
});

test('guess: five wrong passwords answer 401, then 429 with a one-second wait', async ({ page, request, baseURL }) => {
  const user = await signUp(request, baseURL);
  await signIn(page, user, sessionStrategy);
  await page.goto('/learn/lab');
  await page.getByRole('button', { name: 'Try 8 wrong passwords' }).click();
  await expect(page.getByTestId('guess-account')).toHaveText(/^lab-[a-z0-9]+$/);
  const statuses = page.getByTestId('guess-status');
  await expect(statuses).toHaveText(['401', '401', '401', '401', '401', '429', '429', '429']);
  await expect(page.getByTestId('guess-wait').nth(5)).toHaveText('1 s');
  // The learner's own account was never tried.
  await page.goto(sessionStrategy.dashboardPath);
  await expect(page.getByTestId('dashboard-user')).toHaveText(user.username);
});

test('the lab is in the walkthrough\'s navigation', async ({ page }) => {
  await page.goto('/learn/1');
  await page.getByRole('navigation', { name: 'Walkthrough' }).getByRole('link', { name: 'Lab' }).click();
  await expect(page).toHaveURL('/learn/lab');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lab: attack this server, and watch it refuse');
});
