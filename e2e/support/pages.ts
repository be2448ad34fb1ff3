import { type Page } from '@playwright/test';
import { demo, expect, LoginForm, strategies } from './fixtures';

/**
 * AuditedPage is one page state the accessibility spec checks. To audit a
 * new page (a /learn page, say), add an entry to auditedPages: path is
 * where to go; before, if given, runs first (to log in, say) and after once
 * the page is open (to reach an error state).
 */
export interface AuditedPage {
  name: string;
  path: string;
  /** The status the page answers with, checked so the audit looks at the page meant. */
  status?: number;
  /** Runs in a fresh browser context before path is opened. */
  before?: (page: Page) => Promise<void>;
  /** Runs after path is opened, to reach the state to audit. */
  after?: (page: Page) => Promise<void>;
}

const loginAll = async (page: Page) => {
  for (const s of strategies) await new LoginForm(page, s).login();
};

const toggleStates = [
  { name: 'side by side', query: '' },
  ...strategies.map((s) => ({ name: `${s.name} in front`, query: `?strategy=${s.key}` })),
];

export const auditedPages: AuditedPage[] = [
  { name: 'home', path: '/' },
  ...strategies.flatMap((s): AuditedPage[] => [
    { name: `${s.name} login`, path: s.loginPath },
    {
      name: `${s.name} login, failed`,
      path: s.loginPath,
      after: async (page) => {
        const response = await new LoginForm(page, s).submit({ username: demo.username, password: 'wrong password' });
        expect(response.status()).toBe(401);
        await expect(page.getByRole('alert')).toBeVisible();
      },
    },
    { name: `${s.name} dashboard`, path: s.dashboardPath, before: (page) => new LoginForm(page, s).login() },
  ]),
  ...toggleStates.map((t) => ({ name: `compare, signed out, ${t.name}`, path: `/compare${t.query}` })),
  ...toggleStates.map((t) => ({ name: `compare, signed in to both, ${t.name}`, path: `/compare${t.query}`, before: loginAll })),
  { name: 'signup', path: '/signup' },
  {
    name: 'signup, refused',
    path: '/signup',
    after: async (page) => {
      await page.getByLabel('Username').fill('x');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByRole('alert')).toBeVisible();
    },
  },
  { name: 'a missing page (404)', path: '/no-such-page', status: 404 },
];
