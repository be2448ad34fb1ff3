import AxeBuilder from '@axe-core/playwright';
import { type Page } from '@playwright/test';
import { expect, LoginForm, strategies, test, uniqueUsername, type Credentials } from '../support/fixtures';
import { auditedPages, type AuditedPage } from '../support/pages';

// axe-core on every page and state in support/pages.ts, and the few below,
// at a desktop's width and at a phone's: no violation of serious or
// critical impact. Lesser ones are attached to the report. At both widths
// the page must not scroll sideways either: anything wider than the
// window wraps, or scrolls inside a focusable box of its own.

const blocking = new Set(['serious', 'critical']);

const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** signUpAndLogIn creates a fresh account from the signup form and logs it in under both strategies. */
async function signUpAndLogIn(page: Page) {
  const user: Credentials = { username: uniqueUsername('a11y'), password: 'correct horse battery' };
  await page.goto('/signup');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signup');
  await page.getByRole('button', { name: 'Create account' }).click();
  expect((await response).status(), 'POST /signup').toBe(201);
  for (const s of strategies) await new LoginForm(page, s).login(user);
}

// Pages the list in support/pages.ts does not hold yet: the compare page
// signed in under one strategy only, and the account pages and the lab,
// seen by an account made for the test (so nothing here touches the demo
// user's logins).
const morePages: AuditedPage[] = [
  ...strategies.map((s) => ({
    name: `compare, signed in with a ${s.name} only`,
    path: '/compare',
    before: (page: Page) => new LoginForm(page, s).login(),
  })),
  { name: 'account, where you are logged in', path: '/account/sessions', before: signUpAndLogIn },
  { name: 'account, change password', path: '/account/password', before: signUpAndLogIn },
  { name: 'learn, lab, signed out', path: '/learn/lab' },
  { name: 'learn, lab, signed in to both', path: '/learn/lab', before: signUpAndLogIn },
];

for (const viewport of viewports) {
  test.describe(`at ${viewport.width} px (${viewport.name})`, () => {
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    for (const p of [...auditedPages, ...morePages]) {
      test(`${p.name}: no serious or critical axe violations, no sideways scrolling`, async ({ page }, testInfo) => {
        await p.before?.(page);
        const response = await page.goto(p.path);
        expect(response?.status(), p.path).toBe(p.status ?? 200);
        await p.after?.(page);

        const results = await new AxeBuilder({ page }).analyze();
        await testInfo.attach('axe-violations.json', { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
        const found = results.violations
          .filter((v) => blocking.has(v.impact ?? ''))
          .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect.soft(found).toEqual([]);

        // The document is no wider than the window; if it is, name what sticks out.
        const overflow = await page.evaluate(() => {
          const { scrollWidth, clientWidth } = document.documentElement;
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > clientWidth + 0.5)
            .slice(0, 5)
            .map((el) => [el.tagName.toLowerCase(), ...(el.getAttribute('class') ?? '').split(/\s+/).filter(Boolean)].join('.'));
          return { scrollWidth, clientWidth, wide };
        });
        expect(overflow.scrollWidth, `${p.path} scrolls sideways at ${viewport.width} px: ${overflow.wide.join(', ')}`).toBeLessThanOrEqual(
          overflow.clientWidth,
        );
      });
    }
  });
}
