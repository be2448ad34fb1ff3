import { type Locator, type Page } from '@playwright/test';
import { authCookies, demo, expect, forEachStrategy, test } from '../support/fixtures';

// Keyboard only: Tab to move, Enter to act, and typing into the fields.
// Every stop on the way must show where the focus is.

const maxTabs = 40;

/** tabTo presses Tab until target has the focus, and checks the focus can be seen there. */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i <= maxTabs; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) {
      const indicator = await target.evaluate((el) => {
        const style = getComputedStyle(el);
        return { focusVisible: el.matches(':focus-visible'), outline: style.outlineStyle, shadow: style.boxShadow };
      });
      expect(indicator.focusVisible, 'focus is shown').toBe(true);
      expect(indicator.outline !== 'none' || indicator.shadow !== 'none', `focus indicator on ${target}`).toBe(true);
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`${target} never got the focus in ${maxTabs} presses of Tab`);
}

forEachStrategy(() => {
  test('log in and out with the keyboard alone', async ({ page, context, strategy }) => {
    await page.goto('/');
    await tabTo(page, page.getByRole('link', { name: new RegExp(`^Log in with a ${strategy.name}$`, 'i') }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(strategy.loginPath);

    await tabTo(page, page.getByLabel('Username'));
    await page.keyboard.type(demo.username);
    await tabTo(page, page.getByLabel('Password'));
    await page.keyboard.type(demo.password);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(strategy.dashboardPath);
    await expect(page.getByTestId('dashboard-user')).toHaveText(demo.username);

    await tabTo(page, page.getByRole('button', { name: 'Log out', exact: true }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(`/compare?loggedout=${strategy.key}`);
    await expect(page.getByTestId(`nav-${strategy.key}`)).toContainText('signed out');
    expect(await authCookies(context)).toEqual([]);
  });
});
