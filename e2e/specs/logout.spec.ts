import { apiStatus, authCookie, expect, forEachStrategy, test } from '../support/fixtures';

forEachStrategy(() => {
  test('logout closes the dashboard, and a copy of the old cookie is refused', async ({ browser, baseURL, page, context, request, strategy, loginForm }) => {
    await loginForm.login();
    const copy = (await authCookie(context, strategy))!;
    expect(copy, 'cookie after login').toBeDefined();

    // Before logout the copy works anywhere: that is what makes replay a threat.
    expect((await apiStatus(request, [copy])).strategies[strategy.key]).toMatchObject({ authenticated: true, username: 'user1' });

    await loginForm.logout();
    // Logout lands on the compare page, which says what just happened.
    await expect(page.getByTestId('logout-notice')).toContainText(
      strategy.key === 'session' ? 'Its record was deleted' : 'went on the revocation list',
    );
    await expect(page.getByTestId(`state-${strategy.key}`)).toContainText('Not signed in');
    expect(await authCookie(context, strategy), 'the browser dropped the cookie').toBeUndefined();
    await expect(page.getByTestId(`nav-${strategy.key}`)).toContainText('signed out');
    await page.goto(strategy.dashboardPath);
    await expect(page).toHaveURL((url) => url.pathname === strategy.loginPath);

    // The copy, replayed in a browser that never logged out.
    const thief = await browser.newContext({ baseURL });
    try {
      await thief.addCookies([copy]);
      const thiefPage = await thief.newPage();
      await thiefPage.goto(strategy.dashboardPath);
      await expect(thiefPage).toHaveURL((url) => url.pathname === strategy.loginPath);

      await thiefPage.goto('/compare');
      await expect(thiefPage.getByTestId(`state-${strategy.key}`)).toContainText('Not signed in');
      await expect(thiefPage.getByTestId(`reason-${strategy.key}`)).toHaveText(strategy.replayReason);
    } finally {
      await thief.close();
    }

    const status = await apiStatus(request, [copy]);
    expect(status.authenticated).toBe(false);
    expect(status.strategies[strategy.key]).toMatchObject({ authenticated: false, reason: strategy.replayReason });
  });
});
