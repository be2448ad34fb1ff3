import { type APIRequestContext, type BrowserContext, type Locator, type Page, type TestInfo } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { clientAddress, expect, LoginForm, test as base, type Credentials, type Strategy, uniqueUsername } from './fixtures';

/**
 * Two made-up browsers, so the devices page tells the devices apart by
 * client as well as by address. The summaries are what the page shows for
 * them (routes/useragent.go).
 */
export const clients = {
  mac: {
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    summary: 'Chrome on macOS',
  },
  windows: {
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
    summary: 'Firefox on Windows',
  },
} as const;

/**
 * deviceAddress is a client address of its own for the device named name
 * in the running test (repeats included), in the same 10.0.0.0/8 the
 * fixture's clientAddress uses, so no two tests ever share one.
 */
export function deviceAddress(testInfo: TestInfo, name: string): string {
  return clientAddress(`${testInfo.testId}#${name}`);
}

/** Device is one browser, with its own cookies, client address and User-Agent. */
export interface Device {
  name: string;
  address: string;
  client: string;
  context: BrowserContext;
  page: Page;
  /** login signs user in under strategy s from its login form, and waits for the dashboard. */
  login(s: Strategy, user: Credentials): Promise<void>;
}

/** Client is one of clients: a User-Agent and the summary the devices page shows for it. */
export type Client = (typeof clients)[keyof typeof clients];

/**
 * test is the suite's test with newDevice: it opens a browser context as
 * another device, with a client address and a User-Agent of its own, and
 * closes it when the test ends.
 */
export const test = base.extend<{ newDevice: (name: string, client?: Client) => Promise<Device> }>({
  newDevice: async ({ browser, baseURL }, use, testInfo) => {
    const opened: BrowserContext[] = [];
    await use(async (name, client = clients.mac) => {
      const address = deviceAddress(testInfo, name);
      const context = await browser.newContext({
        baseURL,
        userAgent: client.userAgent,
        extraHTTPHeaders: { 'X-Forwarded-For': address },
      });
      opened.push(context);
      const page = await context.newPage();
      return { name, address, client: client.summary, context, page, login: (s, user) => new LoginForm(page, s).login(user) };
    });
    await Promise.all(opened.map((c) => c.close()));
  },
});

/** freshUser is a new, never used username with a random valid password. */
export function freshUser(prefix = 'acct'): Credentials {
  return { username: uniqueUsername(prefix), password: `pw-${randomBytes(9).toString('base64url')}` };
}

/**
 * sameOrigin is the header an unsafe request sent from Node needs to pass
 * the app's cross-origin protection as a page of its own would.
 */
export function sameOrigin(baseURL: string | undefined): Record<string, string> {
  return { Origin: new URL(baseURL!).origin };
}

/**
 * signUp creates user through POST /signup from request's client address
 * (one of the ten signups an address has in ten minutes).
 */
export async function signUp(request: APIRequestContext, baseURL: string | undefined, user: Credentials = freshUser()): Promise<Credentials> {
  const res = await request.post('/signup', { form: { ...user }, headers: sameOrigin(baseURL), maxRedirects: 0 });
  expect(res.status(), `sign up ${user.username}`).toBe(201);
  return user;
}

/** ApiLogin is one entry of GET /api/auth/sessions. */
export interface ApiLogin {
  id: string;
  strategy: 'session' | 'jwt';
  started: string;
  lastSeen: string;
  expires: string;
  client: string;
  address: string;
  current: boolean;
}

/** apiLogins lists the logins of whoever request's cookies sign in. */
export async function apiLogins(request: APIRequestContext): Promise<ApiLogin[]> {
  const res = await request.get('/api/auth/sessions');
  expect(res.status(), 'GET /api/auth/sessions').toBe(200);
  return (await res.json()).sessions;
}

/** Facts are the Client, Address, Started, Last seen and Ends of one login on the devices page. */
export type Facts = Record<'Client' | 'Address' | 'Started' | 'Last seen' | 'Ends', string>;

/** DevicesPage is /account/sessions, "Where you are logged in", in one device's browser. */
export class DevicesPage {
  static readonly path = '/account/sessions';

  constructor(readonly page: Page) {}

  async goto() {
    const res = await this.page.goto(DevicesPage.path);
    expect(res?.status(), `GET ${DevicesPage.path}`).toBe(200);
    await expect(this.page.getByRole('heading', { level: 1 })).toHaveText('Where you are logged in');
  }

  /** The list of live logins (absent when there are none). */
  get list(): Locator {
    return this.page.getByRole('list', { name: 'Your logins' });
  }

  get logins(): Locator {
    return this.list.getByTestId('login');
  }

  /** The logins whose heading carries the "This browser" badge. */
  get current(): Locator {
    return this.logins.filter({ has: this.page.getByRole('heading').filter({ hasText: 'This browser' }) });
  }

  get notice(): Locator {
    return this.page.getByRole('main').getByRole('status');
  }

  /** button is one of the page's own buttons (the nav's menu has a Log out everywhere too). */
  button(name: 'End all others' | 'Log out everywhere'): Locator {
    return this.page.getByRole('main').getByRole('button', { name, exact: true });
  }

  /** endButton is the End button of s's login from client. */
  endButton(s: Strategy, client: string): Locator {
    return this.list.getByRole('button', { name: new RegExp(`^End ${s.name} login from ${client} started `, 'i') });
  }
}

/** facts reads the description list of one login card. */
export async function facts(login: Locator): Promise<Facts> {
  return login.locator('dl').evaluate((dl) => {
    const out: Record<string, string> = {};
    for (const dt of Array.from(dl.querySelectorAll('dt'))) {
      const dd = dt.nextElementSibling;
      if (dd?.tagName === 'DD') out[dt.textContent!.trim()] = dd.textContent!.trim();
    }
    return out as Facts;
  });
}

/** expectSignedOut says the browser of page no longer gets into s's dashboard: it lands on the login page. */
export async function expectSignedOut(page: Page, s: Strategy) {
  await page.goto(s.dashboardPath);
  await expect(page, `${s.name} dashboard`).toHaveURL((url) => url.pathname === s.loginPath);
}

/** expectSignedIn says the browser of page still reaches s's dashboard as username. */
export async function expectSignedIn(page: Page, s: Strategy, username: string) {
  await page.goto(s.dashboardPath);
  await expect(page, `${s.name} dashboard`).toHaveURL(s.dashboardPath);
  await expect(page.getByTestId('dashboard-user')).toHaveText(username);
}
