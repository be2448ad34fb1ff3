import { apiStatus, authCookie, decodeJWT, expect, forEachStrategy, test } from '../support/fixtures';
import { SHORT_TTL_SECONDS, shortURL } from '../support/servers';

// Against the short-lived server: JWTs live SHORT_TTL_SECONDS, sessions end
// after as long idle, and the JWT leeway is a tenth of that. Cookies carry
// no Expires, so the browser keeps sending them and the server must say
// they have expired.

const ttlMs = SHORT_TTL_SECONDS * 1000;
/** Past a deadline by more than the JWT leeway (a tenth of the TTL) and the store's clock granularity. */
const margin = ttlMs / 10 + 600;

test.use({ baseURL: shortURL() });

forEachStrategy(() => {
  test('an idle user is signed out, and the compare page says expired', async ({ page, context, strategy, loginForm }) => {
    await loginForm.login();
    // The server's own word on when this ends: the JWT's exp, or the
    // session's idle deadline (moved to now by this very request).
    const { strategies } = await apiStatus(page.request);
    const deadline = Date.parse(strategies[strategy.key].expiresAt!);
    const wait = deadline + margin - Date.now();
    expect(wait, 'deadline within the TTL').toBeLessThanOrEqual(ttlMs + margin);

    // Idle: not one request until the deadline has passed.
    await page.waitForTimeout(wait);

    await page.goto('/compare');
    await expect(page.getByTestId(`state-${strategy.key}`)).toContainText('Not signed in');
    await expect(page.getByTestId(`reason-${strategy.key}`)).toHaveText('expired');
    await expect(page.getByTestId(`nav-${strategy.key}`)).toContainText('signed out');
    // The browser still holds and sends the cookie; the server refused it.
    expect(await authCookie(context, strategy)).toBeDefined();
    expect((await apiStatus(page.request)).strategies[strategy.key]).toMatchObject({ authenticated: false, reason: 'expired' });

    await page.goto(strategy.dashboardPath);
    await expect(page).toHaveURL((url) => url.pathname === strategy.loginPath);
  });

  test('an active user stays signed in past the TTL without noticing', async ({ page, context, request, strategy, loginForm }) => {
    await loginForm.login();
    const first = (await authCookie(context, strategy))!.value;
    const start = Date.now();
    const seen = new Set([first]);

    // A request every second (on the beat, however long each takes) for
    // one and a half TTLs: the first token, or idle deadline, is gone by the end.
    for (let beat = 1; beat * 1000 <= 1.5 * ttlMs; beat++) {
      await page.waitForTimeout(Math.max(0, start + beat * 1000 - Date.now()));
      const response = await page.reload();
      expect(response?.status()).toBe(200);
      await expect(page, 'never sent back to login').toHaveURL(strategy.dashboardPath);
      await expect(page.getByTestId('dashboard-user')).toHaveText('user1');
      seen.add((await authCookie(context, strategy))!.value);
    }

    const last = (await authCookie(context, strategy))!.value;
    if (strategy.renewsOnActivity) {
      // Renewal swapped the token for one with a new jti, and the first
      // one would no longer be accepted on its own.
      expect(decodeJWT(last).claims.jti).not.toBe(decodeJWT(first).claims.jti);
      expect(seen.size).toBeGreaterThan(1);
      expect((decodeJWT(first).claims.exp as number) * 1000 + margin).toBeLessThan(Date.now());
      const alone = await apiStatus(request, [{ name: strategy.cookieName, value: first }]);
      expect(alone.strategies.jwt).toMatchObject({ authenticated: false, reason: 'expired' });
    } else {
      // The session keeps its token; each request moved the idle deadline.
      expect(last).toBe(first);
    }
    expect((await apiStatus(page.request)).strategies[strategy.key]).toMatchObject({ authenticated: true, username: 'user1' });
  });
});
