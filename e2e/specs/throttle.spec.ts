import { type APIResponse, type Page } from '@playwright/test';
import { randomInt } from 'node:crypto';
import { freshUser, sameOrigin, signUp, test } from '../support/account';
import {
  authCookies,
  type Credentials,
  expect,
  forEachStrategy,
  LoginForm,
  sessionStrategy,
  type Strategy,
  uniqueUsername,
} from '../support/fixtures';

// Login throttling (issue #10). Every test has a client address of its own
// (the fixture's X-Forwarded-For), and attackers are other addresses, so no
// test's failures throttle another's.
//
// The exact delays (1 s, 2 s, 4 s…) are checked against an injected clock in
// the Go tests (routes/account_test.go). Here the browser sees them on a
// real clock, so every delay a test must land inside is made long first:
// failures from other addresses raise the account's count, and with it the
// wait of an address that has failed on it, to 8 s and more. A slow machine
// then changes how much of the wait is left, never whether it is there.

/** Attempt is what one login through the form came back with. */
interface Attempt {
  status: number;
  retryAfter?: string;
  /** The form's error, if it shows one. */
  alert?: string;
}

/** attempt logs in through s's form on page and reads the answer. */
async function attempt(page: Page, s: Strategy, creds: Credentials): Promise<Attempt> {
  const form = new LoginForm(page, s);
  if (new URL(page.url()).pathname !== s.loginPath) await form.goto();
  const response = await form.submit(creds);
  const result: Attempt = { status: response.status() };
  const retryAfter = response.headers()['retry-after'];
  if (retryAfter !== undefined) result.retryAfter = retryAfter;
  if (response.status() !== 303) result.alert = (await page.getByRole('alert').innerText()).trim();
  return result;
}

/** post sends s's login form from Node on page's browser context (its cookies and address), following no redirect. */
function post(page: Page, s: Strategy, creds: Credentials, baseURL: string | undefined): Promise<APIResponse> {
  return page.request.post(s.loginPath, { form: { ...creds }, headers: sameOrigin(baseURL), maxRedirects: 0 });
}

/** elsewhere is a client address no other request of the run uses. */
const elsewhere = () => `10.${200 + randomInt(50)}.${randomInt(256)}.${randomInt(256)}`;

/** failElsewhere sends n wrong passwords for username, each from a fresh address: none of them waits, and each adds to the account's count. */
async function failElsewhere(page: Page, s: Strategy, username: string, n: number, baseURL: string | undefined) {
  for (let i = 0; i < n; i++) {
    const res = await page.request.post(s.loginPath, {
      form: { username, password: wrong },
      headers: { ...sameOrigin(baseURL), 'X-Forwarded-For': elsewhere() },
      maxRedirects: 0,
    });
    expect(res.status(), 'a failure from a fresh address is not held back').toBe(401);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * untilNot429 makes tryOnce until it is not refused with 429, at most five
 * times a quarter second apart: that absorbs the rounding of the server's
 * clock once a Retry-After has been waited out, and each refused try costs
 * nothing (a throttled attempt is not counted as a failure).
 */
async function untilNot429<T>(tryOnce: () => Promise<T>, status: (t: T) => number): Promise<T> {
  for (let i = 0; ; i++) {
    const got = await tryOnce();
    if (status(got) !== 429 || i === 4) return got;
    await sleep(250);
  }
}

/** waitOut sleeps for a Retry-After, which must be a positive number of seconds. */
async function waitOut(retryAfter: string | undefined) {
  expect(Number(retryAfter), 'Retry-After is a number of seconds').toBeGreaterThan(0);
  await sleep(Number(retryAfter) * 1000);
}

const wrong = 'not the password';
const invalid: Attempt = { status: 401, alert: 'Invalid username or password.' };

/** expectWait checks that got is a refusal with a wait of 1 to at most seconds, and that the form says so. */
function expectWait(got: Attempt, atMost: number, what: string): number {
  expect(got.status, what).toBe(429);
  const n = Number(got.retryAfter);
  expect(n, `${what}: Retry-After`).toBeGreaterThanOrEqual(1);
  expect(n, `${what}: Retry-After`).toBeLessThanOrEqual(atMost);
  expect(got.alert, what).toBe(`Too many attempts. Wait ${n} second${n === 1 ? '' : 's'} before trying again.`);
  return n;
}

/**
 * failThenWait makes the sequence an account and an unknown name must
 * answer the same: five free failures from this page's address, three more
 * from elsewhere (the account's count is 8, so this address now waits
 * 2^3 = 8 s from its fifth failure), and this address's next attempt is
 * refused with the wait; one more failure elsewhere doubles it to 16 s.
 * It returns both refusals.
 */
async function failThenWait(page: Page, s: Strategy, username: string, baseURL: string | undefined): Promise<[Attempt, APIResponse]> {
  const creds = { username, password: wrong };
  for (let i = 1; i <= 5; i++) expect(await attempt(page, s, creds), `failure ${i}`).toEqual(invalid);
  await failElsewhere(page, s, username, 3, baseURL);
  const first = await attempt(page, s, creds);
  const n1 = expectWait(first, 8, 'after five failures here and three elsewhere, this address waits');

  await failElsewhere(page, s, username, 1, baseURL);
  const second = await post(page, s, creds, baseURL);
  expect(second.status(), 'one more failure elsewhere').toBe(429);
  const n2 = Number(second.headers()['retry-after']);
  expect(n2, 'the wait doubled: 16 s from the fifth failure').toBeGreaterThan(n1);
  expect(n2).toBeLessThanOrEqual(16);
  return [first, second];
}

forEachStrategy((s) => {
  test('wrong passwords make an address wait, the wait doubles, and the correct password gets in once it has passed', async ({ page, context, request, baseURL }) => {
    test.setTimeout(90_000); // it waits out a real delay of up to 16 s
    const user = await signUp(request, baseURL, freshUser('throttled'));
    const [, refusal] = await failThenWait(page, s, user.username, baseURL);

    // During the delay even the right password is refused, unchecked.
    const during = await post(page, s, user, baseURL);
    expect(during.status()).toBe(429);
    expect(Number(during.headers()['retry-after'])).toBeLessThanOrEqual(Number(refusal.headers()['retry-after']));
    expect(await authCookies(context)).toEqual([]);

    await waitOut(during.headers()['retry-after']);
    const success = await untilNot429(() => attempt(page, s, user), (a) => a.status);
    expect(success.status).toBe(303);
    await expect(page).toHaveURL(s.dashboardPath);
    await expect(page.getByTestId('dashboard-user')).toHaveText(user.username);
  });

  test('an unknown username is answered the same as an account', async ({ page, baseURL }) => {
    // failThenWait asserts the very sequence the test above gets for an account.
    await failThenWait(page, s, uniqueUsername('nobody'), baseURL);
  });

  test('a user under attack from other addresses still logs in at once from their own', async ({ newDevice, page, request, baseURL }) => {
    const user = await signUp(request, baseURL, freshUser('attacked'));
    const creds = { username: user.username, password: wrong };
    const attacker = await newDevice('attacker');

    for (let i = 1; i <= 5; i++) expect(await attempt(attacker.page, s, creds), `failure ${i}`).toEqual(invalid);
    await failElsewhere(attacker.page, s, user.username, 3, baseURL);
    expectWait(await attempt(attacker.page, s, creds), 8, 'the attacker waits');

    // Eight failures on the account, and the real user walks straight in.
    const mine = await attempt(page, s, user);
    expect(mine.status).toBe(303);
    await expect(page.getByTestId('dashboard-user')).toHaveText(user.username);
  });
});

test('ten failed logins from one address, whatever the names, close it to logins for the window', async ({ newDevice, page, request, baseURL }) => {
  const s = sessionStrategy;
  const user = await signUp(request, baseURL, freshUser('capped'));
  for (let i = 1; i <= 10; i++) {
    const res = await page.request.post(s.loginPath, {
      form: { username: uniqueUsername(`nobody${i}`), password: wrong },
      headers: sameOrigin(baseURL),
      maxRedirects: 0,
    });
    expect(res.status(), `failure ${i}`).toBe(401);
  }

  const eleventh = await attempt(page, s, user);
  expect(eleventh.status, 'the correct password of a fresh account').toBe(429);
  // The window is ten minutes from the first failure.
  expect(Number(eleventh.retryAfter)).toBeGreaterThan(9 * 60);
  expect(Number(eleventh.retryAfter)).toBeLessThanOrEqual(10 * 60);
  expect(eleventh.alert).toMatch(/^Too many attempts\. Wait (9|10) minutes before trying again\.$/);
  expect(await authCookies(page.context())).toEqual([]);

  // The account itself is fine: from another address it logs in.
  const elsewhere = await newDevice('elsewhere');
  await elsewhere.login(s, user);
});

test('POST /api/auth answers a throttled attempt with 429 in JSON and Retry-After, and the form shares the count', async ({ page, baseURL }) => {
  test.setTimeout(60_000); // it waits out a real delay of up to 8 s
  const user = await signUp(page.request, baseURL, freshUser('apithrottled'));
  const api = (password: string) => page.request.post('/api/auth', { data: { username: user.username, password }, headers: sameOrigin(baseURL) });

  for (let i = 1; i <= 5; i++) {
    const res = await api(wrong);
    expect(res.status(), `failure ${i}`).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid username or password' });
  }
  await failElsewhere(page, sessionStrategy, user.username, 3, baseURL);

  const refused = await api(user.password);
  expect(refused.status(), 'even the right password waits').toBe(429);
  const n = Number(refused.headers()['retry-after']);
  expect(n).toBeGreaterThanOrEqual(1);
  expect(n).toBeLessThanOrEqual(8);
  expect(refused.headers()['content-type']).toMatch(/^application\/json/);
  expect(await refused.json()).toEqual({ error: `too many attempts: wait ${n} second${n === 1 ? '' : 's'}` });

  // The form from the same address is held back by the same count.
  expectWait(await attempt(page, sessionStrategy, user), 8, 'the session login form');
  expect(await authCookies(page.context())).toEqual([]);

  await waitOut(refused.headers()['retry-after']);
  const ok = await untilNot429(() => api(user.password), (r) => r.status());
  expect(ok.status()).toBe(200);
  expect((await ok.json()).token).toEqual(expect.any(String));
});

test('the eleventh signup from one address in ten minutes is refused with 429 and a message', async ({ newDevice, page }) => {
  const signups = await newDevice('signups');
  const submit = async (target: Page, username: string) => {
    await target.goto('/signup');
    await target.getByLabel('Username').fill(username);
    await target.getByLabel('Password').fill('long enough password');
    const response = target.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signup');
    await target.getByRole('button', { name: 'Create account' }).click();
    return response;
  };

  for (let i = 1; i <= 10; i++) {
    expect((await submit(signups.page, uniqueUsername(`su${i}`))).status(), `signup ${i}`).toBe(201);
  }
  const name = uniqueUsername('su11');
  const eleventh = await submit(signups.page, name);
  expect(eleventh.status()).toBe(429);
  expect(Number(eleventh.headers()['retry-after'])).toBeGreaterThan(9 * 60);
  await expect(signups.page.getByRole('alert')).toHaveText(/^Too many signups from your address\. Wait (9|10) minutes before trying again\.$/);

  // Nothing was created: the same name signs up from another address.
  expect((await submit(page, name)).status()).toBe(201);
  await expect(page.getByRole('status')).toContainText(`Account ${name} created`);
});
