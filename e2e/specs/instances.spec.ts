import { apiStatus, authCookie, expect, forEachStrategy, LoginForm, test } from '../support/fixtures';
import { pgAURL, pgBURL } from '../support/servers';

// Two authlab instances on one PostgreSQL database. A browser sends its
// cookies for 127.0.0.1 to every port, so it holds one login that both
// instances see.

forEachStrategy(() => {
  test('a login on one instance is seen by the other, and a logout on the other is refused by the first', async ({
    page,
    context,
    playwright,
    strategy,
  }) => {
    await page.goto(`${pgAURL()}${strategy.loginPath}`);
    const form = new LoginForm(page, strategy);
    await form.submit({ username: 'user1', password: 'pass123' });
    await expect(page).toHaveURL(`${pgAURL()}${strategy.dashboardPath}`);
    await expect(page.getByTestId('instance')).toHaveText('pg-a');
    const copy = (await authCookie(context, strategy))!;
    expect(copy, 'cookie after login on A').toBeDefined();

    // B knows this browser: it signed in on A.
    await page.goto(`${pgBURL()}/compare`);
    await expect(page.getByTestId('instance')).toHaveText('pg-b');
    await expect(page.getByTestId(`state-${strategy.key}`)).toContainText('Signed in as');

    // Log out on B, from its compare page.
    await page
      .getByTestId(`panel-${strategy.key}`)
      .getByRole('button', { name: /Log out/ })
      .click();
    await expect(page.getByTestId(`nav-${strategy.key}`)).toContainText('signed out');

    // A refuses the copy taken before the logout, within a second.
    const onA = await playwright.request.newContext({ baseURL: pgAURL() });
    try {
      await expect
        .poll(async () => (await apiStatus(onA, [copy])).strategies[strategy.key].authenticated, { timeout: 1_000, intervals: [50] })
        .toBe(false);
    } finally {
      await onA.dispose();
    }
    await page.goto(`${pgAURL()}/compare`);
    await expect(page.getByTestId(`state-${strategy.key}`)).toContainText('Not signed in');
  });
});
