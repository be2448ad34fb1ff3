import { type Page } from '@playwright/test';
import { authCookies, demo, expect, forEachStrategy, test, uniqueUsername } from '../support/fixtures';

/** submitSignup fills the signup form and returns the response to its POST. */
async function submitSignup(page: Page, username: string, password: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signup');
  await page.getByRole('button', { name: 'Create account' }).click();
  return response;
}

forEachStrategy(() => {
  test('a new account can log in', async ({ page, context, loginForm }) => {
    const user = { username: uniqueUsername(), password: 'correct horse battery' };
    const response = await submitSignup(page, user.username, user.password);
    expect(response.status()).toBe(201);
    await expect(page.getByRole('status')).toContainText(`Account ${user.username} created`);
    expect(await authCookies(context), 'signing up does not log in').toEqual([]);

    await loginForm.login(user);
    await expect(page.getByTestId('dashboard-user')).toHaveText(user.username);
  });
});

test('a taken username and a short password are refused at the field', async ({ page }) => {
  const taken = await submitSignup(page, demo.username, 'long enough password');
  expect(taken.status()).toBe(409);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
  // The error is tied to the field through aria-describedby, after the help text.
  await expect(page.getByLabel('Username')).toHaveAccessibleDescription(/taken/);

  const short = await submitSignup(page, uniqueUsername(), 'short');
  expect(short.status()).toBe(422);
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  // The help text, then the error after it.
  await expect(page.getByLabel('Password')).toHaveAccessibleDescription(/characters\.\s+\S.*$/);
});
