import { authCookies, demo, expect, forEachStrategy, other, test, uniqueUsername } from '../support/fixtures';

forEachStrategy(() => {
  test('the demo user reaches the dashboard, which names the user and the strategy', async ({ page, strategy, loginForm }) => {
    await loginForm.goto();
    await expect(page.getByRole('heading', { level: 1 })).toContainText(new RegExp(strategy.name, 'i'));

    const response = await loginForm.submit(demo);
    expect(response.status()).toBe(303);

    await expect(page).toHaveURL(strategy.dashboardPath);
    await expect(page.getByTestId('dashboard-user')).toHaveText('user1');
    await expect(page.getByTestId('dashboard-strategy')).toHaveText(new RegExp(`^${strategy.name}$`, 'i'));
    await expect(page.getByTestId(`nav-${strategy.key}`)).toContainText('user1');
    await expect(page.getByTestId(`nav-${other(strategy).key}`)).toContainText('signed out');
  });

  test('a wrong password and an unknown user get the same error and no cookie', async ({ page, context, strategy, loginForm }) => {
    const attempts = [
      { why: 'wrong password', username: demo.username, password: 'not-the-password' },
      { why: 'unknown user', username: uniqueUsername('nobody'), password: demo.password },
    ];
    const errors: string[] = [];
    for (const attempt of attempts) {
      await loginForm.goto();
      const response = await loginForm.submit(attempt);
      expect(response.status(), attempt.why).toBe(401);
      await expect(page, attempt.why).toHaveURL(strategy.loginPath);

      const alert = page.getByRole('alert');
      await expect(alert, attempt.why).toBeVisible();
      errors.push((await alert.innerText()).trim());
      // The form comes back with the name kept and both fields marked.
      await expect(page.getByLabel('Username')).toHaveValue(attempt.username);
      await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel('Password')).toHaveValue('');
      expect(await authCookies(context), attempt.why).toEqual([]);
    }
    expect(errors[0]).toBe('Invalid username or password.');
    expect(errors[1]).toBe(errors[0]);
  });

  test('an anonymous visit to the dashboard goes to login with next, and login returns there', async ({ page, strategy, loginForm }) => {
    await page.goto(strategy.dashboardPath);
    await expect(page).toHaveURL((url) => url.pathname === strategy.loginPath);
    expect(new URL(page.url()).searchParams.get('next')).toBe(strategy.dashboardPath);

    await loginForm.submit(demo);
    await expect(page).toHaveURL(strategy.dashboardPath);
    await expect(page.getByTestId('dashboard-user')).toHaveText('user1');
  });

  test('login returns to any local next, query included, and ignores an off-site one', async ({ page, strategy, loginForm }) => {
    await loginForm.goto('/compare?strategy=jwt');
    await loginForm.submit(demo);
    await expect(page).toHaveURL('/compare?strategy=jwt');
    await expect(page.getByTestId(`state-${strategy.key}`)).toContainText('user1');

    await page.context().clearCookies();
    for (const next of ['https://example.com/', '//example.com/dashboard']) {
      await loginForm.goto(next);
      await loginForm.submit(demo);
      await expect(page, next).toHaveURL(strategy.dashboardPath);
      await page.context().clearCookies();
    }
  });
});
