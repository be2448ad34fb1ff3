import { type Page } from '@playwright/test';
import { demo, expect, LoginForm, strategies } from './fixtures';
import { QuizForm } from './learn';

/**
 * AuditedPage is one page state the accessibility spec checks. To audit a
 * new page, add an entry to auditedPages: path is
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
  { name: 'learn, overview', path: '/learn' },
  ...[1, 2, 3, 4].map((n) => ({ name: `learn, step ${n}`, path: `/learn/${n}` })),
  { name: 'learn, quiz, unanswered', path: '/learn/quiz' },
  {
    name: 'learn, quiz, graded',
    path: '/learn/quiz',
    // The first question answered right, the second wrong, the rest left
    // blank: the graded page then shows all three kinds of feedback.
    after: async (page) => {
      const quiz = new QuizForm(page);
      const { ids, right, choices } = await quiz.answers();
      await quiz.choose(ids[0], right.get(ids[0])!);
      await quiz.choose(ids[1], choices.get(ids[1])!.find((c) => c !== right.get(ids[1]))!);
      await quiz.submit();
      await quiz.expectScore(ids.length, 1, 1, ids.length - 2);
    },
  },
  { name: 'learn, trade-offs', path: '/learn/tradeoffs' },
];
