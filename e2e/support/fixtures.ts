import { test as base, expect, type APIRequestContext, type BrowserContext, type Cookie, type Page } from '@playwright/test';
import { createHmac, randomBytes } from 'node:crypto';
import { jwtSecret } from './servers';

/** Strategy is what a spec needs to know to run the same flow under either way of staying logged in. */
export interface Strategy {
  key: 'session' | 'jwt';
  /** The name the toggle, headings and dashboards use (matched case-insensitively in running text). */
  name: string;
  loginPath: string;
  dashboardPath: string;
  cookieName: string;
  /**
   * The reason GET /api/auth gives for a copy of the cookie replayed after
   * logout: revoked under both, since the server keeps an index of the
   * logins it ended (the session's record is gone, the JWT's jti and sid
   * are on the revocation list).
   */
  replayReason: 'expired' | 'revoked';
  /** Whether staying active swaps the cookie's value: a JWT is renewed with a new jti, a session keeps its token. */
  renewsOnActivity: boolean;
}

export const strategies: readonly Strategy[] = [
  {
    key: 'session',
    name: 'Server session',
    loginPath: '/session/login',
    dashboardPath: '/session/dashboard',
    cookieName: 'authlab_session',
    replayReason: 'revoked',
    renewsOnActivity: false,
  },
  {
    key: 'jwt',
    name: 'JWT cookie',
    loginPath: '/jwt/login',
    dashboardPath: '/jwt/dashboard',
    cookieName: 'authlab_token',
    replayReason: 'revoked',
    renewsOnActivity: true,
  },
];

export const sessionStrategy = strategies[0];
export const jwtStrategy = strategies[1];

/** other returns the strategy that is not s. */
export const other = (s: Strategy) => strategies.find((x) => x !== s)!;

export interface Credentials {
  username: string;
  password: string;
}

export const demo: Credentials = { username: 'user1', password: 'pass123' };

/** uniqueUsername is a fresh, valid (lowercase a-z 0-9 . _ -) username for this run. */
export function uniqueUsername(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** authCookies returns the auth cookies the browser holds, any strategy. */
export async function authCookies(context: BrowserContext): Promise<Cookie[]> {
  const names = new Set(strategies.map((s) => s.cookieName));
  return (await context.cookies()).filter((c) => names.has(c.name));
}

/** authCookie returns the browser's cookie for strategy s, if it holds one. */
export async function authCookie(context: BrowserContext, s: Strategy): Promise<Cookie | undefined> {
  return (await context.cookies()).find((c) => c.name === s.cookieName);
}

/** StrategyStatus is one strategy's part of GET /api/auth. */
export interface StrategyStatus {
  authenticated: boolean;
  reason?: string;
  userId?: number;
  username?: string;
  expiresAt?: string;
}

export interface AuthStatus {
  authenticated: boolean;
  userId?: number;
  username?: string;
  strategies: { session: StrategyStatus; jwt: StrategyStatus };
}

/**
 * apiStatus asks GET /api/auth who a request is. With cookies, they are
 * the only credentials sent (request is then best a fresh APIRequestContext,
 * whose own jar is empty); without, request sends what its jar holds, which
 * for page.request is the browser context's cookies.
 */
export async function apiStatus(request: APIRequestContext, cookies?: Pick<Cookie, 'name' | 'value'>[]): Promise<AuthStatus> {
  const headers: Record<string, string> = {};
  if (cookies) headers.Cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await request.get('/api/auth', { headers });
  expect(res.status(), 'GET /api/auth').toBe(200);
  return res.json();
}

/** decodeJWT splits a compact JWT into its decoded header and claims, and says whether its HS256 signature is right for the suite's key. */
export function decodeJWT(raw: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signatureValid: boolean } {
  const parts = raw.split('.');
  expect(parts, `a JWT has three parts: ${raw}`).toHaveLength(3);
  const [h, c, sig] = parts;
  const json = (seg: string) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
  const expected = createHmac('sha256', jwtSecret()).update(`${h}.${c}`).digest('base64url');
  return { header: json(h), claims: json(c), signatureValid: expected === sig };
}

/** loginForm drives one strategy's login form in page. */
export class LoginForm {
  constructor(
    readonly page: Page,
    readonly strategy: Strategy,
  ) {}

  async goto(next?: string) {
    const url = next === undefined ? this.strategy.loginPath : `${this.strategy.loginPath}?next=${encodeURIComponent(next)}`;
    await this.page.goto(url);
  }

  /** submit fills the form on the current page, sends it and returns the POST's response. */
  async submit({ username, password }: Credentials) {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    const response = this.page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === this.strategy.loginPath,
    );
    await this.page.getByRole('button', { name: 'Log in' }).click();
    return response;
  }

  /** login logs in from the login page and waits for the dashboard. */
  async login(user: Credentials = demo) {
    await this.goto();
    await this.submit(user);
    await expect(this.page).toHaveURL(this.strategy.dashboardPath);
    await expect(this.page.getByTestId('dashboard-user')).toHaveText(user.username);
  }

  /** logout presses the dashboard's Log out button and waits for the compare page, which says what the logout did. */
  async logout() {
    await this.page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect(this.page).toHaveURL(`/compare?loggedout=${this.strategy.key}`);
    await expect(this.page.getByTestId('logout-notice')).toBeVisible();
  }
}

interface Fixtures {
  /** The strategy a test runs under; set it with test.use or forEachStrategy. */
  strategy: Strategy;
  /** The login form of the current strategy, on the test's page. */
  loginForm: LoginForm;
}

/**
 * clientAddress is the address a test's requests come from. The servers
 * trust X-Forwarded-For from loopback (-trusted-proxy), and every test
 * names its own address in 10.0.0.0/8, so one test's failed logins never
 * throttle another's, as two people on two networks would not.
 */
export function clientAddress(testId: string): string {
  const h = createHmac('sha256', 'authlab-e2e').update(testId).digest();
  return `10.${h[0]}.${h[1]}.${h[2]}`;
}

export const test = base.extend<Fixtures>({
  extraHTTPHeaders: async ({ extraHTTPHeaders }, use, testInfo) => {
    await use({ 'X-Forwarded-For': clientAddress(testInfo.testId), ...extraHTTPHeaders });
  },
  strategy: [strategies[0], { option: true }],
  loginForm: async ({ page, strategy }, use) => {
    await use(new LoginForm(page, strategy));
  },
});

/**
 * forEachStrategy declares body once per strategy, in a describe block
 * named after it whose tests get that strategy as the strategy fixture.
 */
export function forEachStrategy(body: (s: Strategy) => void) {
  for (const s of strategies) {
    test.describe(s.name, () => {
      test.use({ strategy: s });
      body(s);
    });
  }
}

export { expect };
