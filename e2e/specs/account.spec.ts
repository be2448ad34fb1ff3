import { type APIRequestContext, type Cookie } from '@playwright/test';
import { createHash } from 'node:crypto';
import {
  apiLogins,
  type Client,
  clients,
  DevicesPage,
  type Device,
  expectSignedIn,
  expectSignedOut,
  facts,
  freshUser,
  sameOrigin,
  signUp,
  test,
} from '../support/account';
import {
  apiStatus,
  authCookie,
  authCookies,
  decodeJWT,
  expect,
  forEachStrategy,
  jwtStrategy,
  LoginForm,
  other,
  sessionStrategy,
  strategies,
} from '../support/fixtures';

// Two browser contexts are two devices of one fresh user: a Mac (device 1)
// and a Windows PC (device 2), each with its own client address. The demo
// user is never used here: these tests end logins and change passwords,
// and the suite runs in parallel.

/** twoDevices signs up a fresh user and opens a Mac and a Windows PC, signed in to nothing yet. */
async function twoDevices(newDevice: (name: string, client?: Client) => Promise<Device>, request: APIRequestContext, baseURL?: string) {
  const user = await signUp(request, baseURL);
  const mac = await newDevice('mac', clients.mac);
  const pc = await newDevice('pc', clients.windows);
  expect(mac.address).not.toBe(pc.address);
  return { user, mac, pc };
}

forEachStrategy((s) => {
  test('the devices page lists both devices, and End signs the other one out on its next request', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    await pc.login(s, user);
    const copy = (await authCookie(pc.context, s))!;
    expect(copy, "the PC's cookie").toBeDefined();

    const devicesPage = new DevicesPage(mac.page);
    await devicesPage.goto();
    await expect(devicesPage.logins).toHaveCount(2);
    await expect(devicesPage.current).toHaveCount(1);
    for (const login of await devicesPage.logins.all()) {
      await expect(login.getByRole('heading')).toContainText(s.name);
    }
    const cards = await Promise.all((await devicesPage.logins.all()).map(facts));
    for (const f of cards) {
      for (const [name, value] of Object.entries(f)) expect(value, `${f.Client}: ${name}`).not.toBe('');
    }
    expect(cards.map((f) => [f.Client, f.Address]).sort()).toEqual([[mac.client, mac.address], [pc.client, pc.address]].sort());
    expect(await facts(devicesPage.current), 'this browser').toMatchObject({ Client: mac.client, Address: mac.address });

    // Every login has an End button named after it, this browser's too.
    await expect(devicesPage.endButton(s, mac.client)).toHaveCount(1);
    await expect(devicesPage.endButton(s, pc.client)).toHaveCount(1);
    await devicesPage.endButton(s, pc.client).click();
    await expect(mac.page).toHaveURL(`${DevicesPage.path}?ended=1`);
    await expect(devicesPage.notice).toHaveText('1 login ended.');
    await expect(devicesPage.logins).toHaveCount(1);
    await expect(devicesPage.current).toHaveCount(1);
    expect((await facts(devicesPage.logins.first())).Client).toBe(mac.client);

    // The PC's next request: the server says revoked, and the dashboard sends it to log in.
    const status = await apiStatus(pc.page.request);
    expect(status.authenticated).toBe(false);
    expect(status.strategies[s.key]).toMatchObject({ authenticated: false, reason: 'revoked' });
    await expectSignedOut(pc.page, s);
    // The Mac is still in.
    await expectSignedIn(mac.page, s, user.username);
    expect((await apiStatus(request, [copy])).strategies[s.key]).toMatchObject({ authenticated: false, reason: 'revoked' });
  });

  test('End all others ends the other device under both strategies and keeps this one', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    for (const t of strategies) await pc.login(t, user);

    const devicesPage = new DevicesPage(mac.page);
    await devicesPage.goto();
    await expect(devicesPage.logins).toHaveCount(3);
    await devicesPage.button('End all others').click();
    await expect(devicesPage.notice).toHaveText('2 logins ended.');
    await expect(devicesPage.logins).toHaveCount(1);
    await expect(devicesPage.current).toHaveCount(1);

    await devicesPage.button('End all others').click();
    await expect(devicesPage.notice).toHaveText('There were no other logins to end.');
    await expect(devicesPage.logins).toHaveCount(1);

    for (const t of strategies) await expectSignedOut(pc.page, t);
    await expectSignedIn(mac.page, s, user.username);
  });

  test('Log out everywhere on the devices page signs out both devices, the one that clicked included', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    await pc.login(s, user);

    const devicesPage = new DevicesPage(mac.page);
    await devicesPage.goto();
    const answer = mac.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === DevicesPage.path);
    await devicesPage.button('Log out everywhere').click();
    expect((await answer).status()).toBe(200);
    await expect(mac.page.getByRole('heading', { level: 1 })).toHaveText('Logged out everywhere');
    await expect(mac.page.getByRole('main').getByRole('status')).toContainText('2 logins ended');
    const ended = mac.page.getByRole('list', { name: 'Ended logins' }).getByTestId('login');
    await expect(ended).toHaveCount(2);
    expect((await Promise.all((await ended.all()).map(facts))).map((f) => f.Client).sort()).toEqual([mac.client, pc.client].sort());
    // The response cleared this browser's cookies, and the nav says so.
    expect(await authCookies(mac.context)).toEqual([]);
    await expect(mac.page.getByTestId(`nav-${s.key}`)).toContainText('signed out');

    await expectSignedOut(mac.page, s);
    await expectSignedOut(pc.page, s);
    await mac.page.goto(DevicesPage.path);
    await expect(mac.page).toHaveURL((url) => url.pathname === sessionStrategy.loginPath && url.searchParams.get('next') === DevicesPage.path);
  });

  test("the nav's Account menu leads to both account pages and logs out everywhere", async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    await pc.login(s, user);

    // From the PC's dashboard this time.
    const nav = pc.page.getByRole('banner');
    const menu = nav.locator('summary', { hasText: 'Account' });
    const links = nav.getByRole('list', { name: 'Account' });
    await expect(links).toBeHidden();
    await menu.click();
    await links.getByRole('link', { name: 'Where you are logged in' }).click();
    await expect(pc.page).toHaveURL(DevicesPage.path);
    await expect(new DevicesPage(pc.page).logins).toHaveCount(2);

    await menu.click();
    await links.getByRole('link', { name: 'Change password' }).click();
    await expect(pc.page).toHaveURL('/account/password');
    await expect(pc.page.getByRole('heading', { level: 1 })).toHaveText('Change your password');

    await menu.click();
    await links.getByRole('button', { name: 'Log out everywhere' }).click();
    await expect(pc.page.getByRole('heading', { level: 1 })).toHaveText('Logged out everywhere');
    await expect(pc.page.getByRole('list', { name: 'Ended logins' }).getByTestId('login')).toHaveCount(2);
    await expect(menu, 'no Account menu once signed out').toHaveCount(0);

    expect(await authCookies(pc.context)).toEqual([]);
    await expectSignedOut(pc.page, s);
    await expectSignedOut(mac.page, s);
  });

  test('a password change signs the other device out of both strategies and keeps this one, with new cookies', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    for (const t of strategies) await pc.login(t, user);
    const before = (await authCookie(mac.context, s))!;

    await mac.page.goto('/account/password');
    await mac.page.getByLabel('Current password').fill(user.password);
    const newPassword = `${user.password}-changed`;
    await mac.page.getByLabel('New password').fill(newPassword);
    const answer = mac.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/password');
    await mac.page.getByRole('button', { name: 'Change password' }).click();
    expect((await answer).status()).toBe(200);
    await expect(mac.page.getByRole('main').getByRole('status')).toContainText('Password changed.');
    await expect(mac.page.getByRole('main').getByRole('status')).toContainText('2 other logins ended.');
    const ended = mac.page.getByRole('list', { name: 'Ended logins' }).getByTestId('login');
    await expect(ended).toHaveCount(2);
    for (const login of await ended.all()) expect((await facts(login)).Client).toBe(pc.client);

    // This browser carries on with a new cookie value under its strategy,
    // and gets none for the strategy it was not signed in with.
    const after = (await authCookie(mac.context, s))!;
    expect(after, 'a cookie after the change').toBeDefined();
    expect(after.value).not.toBe(before.value);
    expect(await authCookie(mac.context, other(s))).toBeUndefined();
    await expectSignedIn(mac.page, s, user.username);
    expect((await apiStatus(request, [before])).strategies[s.key].authenticated, 'the old cookie').toBe(false);

    for (const t of strategies) await expectSignedOut(pc.page, t);

    // The old password no longer logs in; the new one does.
    const form = new LoginForm(pc.page, s);
    await form.goto();
    expect((await form.submit(user)).status()).toBe(401);
    await form.login({ username: user.username, password: newPassword });
  });

  test('a copy of an ended login cookie, replayed in a fresh browser, is refused as revoked', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(s, user);
    await pc.login(s, user);
    const copy = (await authCookie(pc.context, s))!;
    expect((await apiStatus(request, [copy])).strategies[s.key]).toMatchObject({ authenticated: true, username: user.username });

    const devicesPage = new DevicesPage(mac.page);
    await devicesPage.goto();
    await devicesPage.endButton(s, pc.client).click();
    await expect(devicesPage.notice).toHaveText('1 login ended.');

    const thief = await newDevice('thief');
    await thief.context.addCookies([copy]);
    await expectSignedOut(thief.page, s);
    await thief.page.goto('/compare');
    await expect(thief.page.getByTestId(`state-${s.key}`)).toContainText('Not signed in');
    await expect(thief.page.getByTestId(`reason-${s.key}`)).toHaveText('revoked');
    expect((await apiStatus(request, [copy])).strategies[s.key]).toMatchObject({ authenticated: false, reason: 'revoked' });
  });
});

test.describe('the password form', () => {
  test('a wrong current password and a too short new one change nothing', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    await mac.login(sessionStrategy, user);
    await pc.login(jwtStrategy, user);
    const page = mac.page;

    const change = async (current: string, next: string) => {
      await page.goto('/account/password');
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password').fill(next);
      const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/password');
      await page.getByRole('button', { name: 'Change password' }).click();
      return (await answer).status();
    };

    expect(await change('not the password', 'a long enough new password')).toBe(401);
    await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Current password')).toHaveAccessibleDescription('That is not your current password.');

    expect(await change(user.password, 'short')).toBe(422);
    await expect(page.getByLabel('New password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('New password')).toHaveAccessibleDescription(/characters\.\s+\S/);

    // Nothing ended and the password is the same.
    await expectSignedIn(pc.page, jwtStrategy, user.username);
    await pc.context.clearCookies();
    await pc.login(sessionStrategy, user);
  });
});

test.describe('JSON API', () => {
  /** secretsOf is every string that authenticates, or names a login in the store, among cookies. */
  function secretsOf(cookies: Cookie[]): string[] {
    const out: string[] = [];
    for (const c of cookies) {
      out.push(c.value);
      if (c.name === sessionStrategy.cookieName) out.push(createHash('sha256').update(c.value).digest('hex'));
      if (c.name === jwtStrategy.cookieName) {
        out.push(...c.value.split('.'));
        for (const v of Object.values(decodeJWT(c.value).claims)) if (typeof v === 'string' && v.length >= 8) out.push(v);
      }
    }
    return out;
  }

  /** shares says whether a and b have a run of 8 characters in common. */
  function shares(a: string, b: string): boolean {
    for (let i = 0; i + 8 <= a.length; i++) if (b.includes(a.slice(i, i + 8))) return true;
    return false;
  }

  test('lists logins with opaque ids, ends one or all others, and refuses another user’s id with 404', async ({ newDevice, request, baseURL }) => {
    const { user, mac, pc } = await twoDevices(newDevice, request, baseURL);
    for (const t of strategies) await mac.login(t, user);
    for (const t of strategies) await pc.login(t, user);
    const unsafe = { headers: sameOrigin(baseURL) };

    const list = await apiLogins(mac.page.request);
    expect(list).toHaveLength(4);
    for (const t of strategies) {
      expect(list.filter((l) => l.strategy === t.key && l.current).map((l) => [l.client, l.address])).toEqual([[mac.client, mac.address]]);
      expect(list.filter((l) => l.strategy === t.key && !l.current).map((l) => [l.client, l.address])).toEqual([[pc.client, pc.address]]);
    }
    for (const l of list) {
      for (const field of ['started', 'lastSeen', 'expires'] as const) expect(Date.parse(l[field]), `${l.id} ${field}`).not.toBeNaN();
      expect(Date.parse(l.expires)).toBeGreaterThan(Date.parse(l.started));
    }
    expect(new Set(list.map((l) => l.id)).size).toBe(4);
    const secrets = secretsOf([...(await authCookies(mac.context)), ...(await authCookies(pc.context))]);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const { id } of list) {
      expect(id.length).toBeGreaterThanOrEqual(16);
      for (const secret of secrets) {
        expect(shares(id, secret) || shares(secret, id), `id ${id} shares nothing with ${secret}`).toBe(false);
      }
    }

    // Another user, on a third device, with logins of their own.
    const stranger = await signUp(request, baseURL);
    const third = await newDevice('stranger');
    for (const t of strategies) await third.login(t, stranger);
    const strangers = await apiLogins(third.page.request);
    expect(strangers).toHaveLength(2);
    expect(strangers.map((l) => l.id).filter((id) => list.some((l) => l.id === id))).toEqual([]);
    for (const { id } of strangers) {
      const res = await mac.page.request.delete(`/api/auth/sessions/${encodeURIComponent(id)}`, unsafe);
      expect(res.status(), "DELETE of another user's login").toBe(404);
      expect(await res.json()).toEqual({ error: 'no such session' });
    }
    expect((await apiStatus(third.page.request)).strategies).toMatchObject({
      session: { authenticated: true, username: stranger.username },
      jwt: { authenticated: true, username: stranger.username },
    });
    expect(await apiLogins(third.page.request)).toHaveLength(2);
    const unknown = await mac.page.request.delete('/api/auth/sessions/no-such-login', unsafe);
    expect(unknown.status()).toBe(404);

    // One of the PC's logins, by id: it ends, and only it.
    const pcSession = list.find((l) => l.strategy === 'session' && !l.current)!;
    expect((await mac.page.request.delete(`/api/auth/sessions/${pcSession.id}`, unsafe)).status()).toBe(204);
    expect((await apiLogins(mac.page.request)).map((l) => l.id).sort()).toEqual(list.filter((l) => l !== pcSession).map((l) => l.id).sort());
    expect((await apiStatus(pc.page.request)).strategies).toMatchObject({ session: { authenticated: false, reason: 'revoked' }, jwt: { authenticated: true } });
    expect((await mac.page.request.delete(`/api/auth/sessions/${pcSession.id}`, unsafe)).status(), 'ended already').toBe(404);

    // All the others: the PC's JWT login is the one left.
    const rest = await mac.page.request.delete('/api/auth/sessions', unsafe);
    expect(rest.status()).toBe(200);
    expect(await rest.json()).toEqual({ ended: 1 });
    expect((await apiLogins(mac.page.request)).every((l) => l.current)).toBe(true);
    expect(await apiLogins(mac.page.request)).toHaveLength(2);
    expect((await apiStatus(pc.page.request)).authenticated).toBe(false);
    expect((await apiStatus(mac.page.request)).strategies).toMatchObject({ session: { authenticated: true }, jwt: { authenticated: true } });
    expect((await (await mac.page.request.delete('/api/auth/sessions', unsafe)).json())).toEqual({ ended: 0 });
  });

  test('the account API and pages refuse a signed-out client', async ({ request, page }) => {
    const res = await request.get('/api/auth/sessions');
    expect(res.status()).toBe(401);
    expect(await res.json()).toEqual({ error: 'not signed in' });
    await page.goto('/account/password');
    await expect(page).toHaveURL((url) => url.pathname === sessionStrategy.loginPath && url.searchParams.get('next') === '/account/password');
  });
});
