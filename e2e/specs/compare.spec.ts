import { type Page } from '@playwright/test';
import { expect, jwtStrategy, LoginForm, sessionStrategy, strategies, test, type Strategy } from '../support/fixtures';

// The compare page shows this browser's state under both strategies. Every
// combination of sign-ins, every toggle state, with and without JavaScript.

const combinations: { name: string; signedIn: readonly Strategy[] }[] = [
  { name: 'signed out of both', signedIn: [] },
  { name: 'server session only', signedIn: [sessionStrategy] },
  { name: 'JWT cookie only', signedIn: [jwtStrategy] },
  { name: 'signed in to both', signedIn: strategies },
];

interface Toggle {
  link: string;
  front?: Strategy;
}

const sideBySide: Toggle = { link: 'Side by side' };
const toggles: Toggle[] = [sideBySide, ...strategies.map((s) => ({ link: s.name, front: s }))];

async function expectCompare(page: Page, toggle: Toggle, signedIn: readonly Strategy[]) {
  const front = toggle.front;
  await expect(page).toHaveURL((url) => url.pathname === '/compare' && url.searchParams.get('strategy') === (front?.key ?? null));

  const nav = page.getByRole('navigation', { name: 'Bring a strategy to the front' });
  for (const t of toggles) {
    const link = nav.getByRole('link', { name: t.link, exact: true });
    if (t === toggle) await expect(link, `${t.link} is current`).toHaveAttribute('aria-current', 'true');
    else await expect(link, `${t.link} is not current`).not.toHaveAttribute('aria-current');
  }

  const order = front ? [front, ...strategies.filter((s) => s !== front)] : strategies;
  const panels = page.locator('[data-testid^="panel-"]');
  await expect(panels).toHaveCount(2);
  for (const [i, s] of order.entries()) {
    const panel = panels.nth(i);
    await expect(panel, `panel ${i + 1}`).toHaveAttribute('data-testid', `panel-${s.key}`);
    if (s === front) await expect(panel).toHaveClass(/\bfront\b/);
    else await expect(panel).not.toHaveClass(/\bfront\b/);
  }

  for (const s of strategies) {
    await expect(page.getByRole('region', { name: s.name, exact: true })).toBeVisible();
    const state = page.getByTestId(`state-${s.key}`);
    if (signedIn.includes(s)) {
      await expect(state).toHaveText(/Signed in as\s+user1/);
      await expect(page.getByTestId(`reason-${s.key}`)).toHaveCount(0);
      await expect(page.getByTestId(`nav-${s.key}`)).toContainText('user1');
    } else {
      await expect(state).toContainText('Not signed in');
      await expect(page.getByTestId(`reason-${s.key}`)).toHaveText('missing');
      await expect(page.getByTestId(`nav-${s.key}`)).toContainText('signed out');
    }
  }

  const claims = page.getByTestId('jwt-claims');
  if (signedIn.includes(jwtStrategy)) {
    await expect(claims).toBeVisible();
    expect(JSON.parse(await claims.innerText())).toMatchObject({ iss: 'authlab', sub: expect.any(String) });
  } else {
    await expect(claims).toHaveCount(0);
  }
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled });

    for (const { name, signedIn } of combinations) {
      test(`${name}: each toggle state shows both strategies correctly`, async ({ page }) => {
        for (const s of signedIn) await new LoginForm(page, s).login();

        await page.goto('/compare');
        await expectCompare(page, sideBySide, signedIn);
        // Through every state and back, by the links a reader would use.
        for (const toggle of [...toggles.slice(1), sideBySide]) {
          await page
            .getByRole('navigation', { name: 'Bring a strategy to the front' })
            .getByRole('link', { name: toggle.link, exact: true })
            .click();
          await expectCompare(page, toggle, signedIn);
        }
      });
    }
  });
}

test('an unknown toggle value is a 400 page, not a guess', async ({ page }) => {
  const response = await page.goto('/compare?strategy=cookies');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bad Request');
});
