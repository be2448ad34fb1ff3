import { type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { apiStatus, authCookies, demo, expect, forEachStrategy, test } from '../support/fixtures';

// Login CSRF: a page on another origin makes the browser log in to authlab
// as the attacker's account. The attacker's pages come from a tiny server
// started here, on another port: at "localhost" it is another site, at
// 127.0.0.1 the same site but another origin. The app must answer 403 and
// the browser must end with no auth cookie. As a control, the very same
// page served from the app's own origin does log in.

type Delivery = 'form' | 'fetch';

/** attackPage is HTML that sends the demo credentials to action once it has loaded. */
function attackPage(action: string, delivery: Delivery): string {
  const fields = `username=${encodeURIComponent(demo.username)}&password=${encodeURIComponent(demo.password)}`;
  const send =
    delivery === 'form'
      ? 'document.forms[0].submit();'
      : `fetch(${JSON.stringify(action)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams(${JSON.stringify(fields)}) });`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You won a prize</title></head>
<body>
<form method="post" action="${action}">
  <input name="username" value="${demo.username}"><input name="password" value="${demo.password}">
</form>
<script>addEventListener('load', () => setTimeout(() => { ${send} }));</script>
</body></html>`;
}

let attacker: Server;
let attackerPort: number;

test.beforeAll(async () => {
  attacker = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://attacker');
    const action = url.searchParams.get('action');
    const delivery = url.searchParams.get('delivery') as Delivery;
    if (!action || (delivery !== 'form' && delivery !== 'fetch')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(attackPage(action, delivery));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => attacker?.close(resolve));
});

const attackers = [
  { name: 'another site (localhost)', host: 'localhost' },
  { name: 'the same site on another port', host: '127.0.0.1' },
];

/** visitAttack opens the attacker's page at host and returns the app's answer to what it sends. */
async function visitAttack(page: Page, host: string, action: string, delivery: Delivery) {
  const answer = page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST');
  await page.goto(`http://${host}:${attackerPort}/?delivery=${delivery}&action=${encodeURIComponent(action)}`, { waitUntil: 'commit' });
  return answer;
}

async function expectNoLogin(page: Page) {
  expect(await authCookies(page.context())).toEqual([]);
  expect((await apiStatus(page.request)).authenticated).toBe(false);
}

forEachStrategy(() => {
  for (const { name, host } of attackers) {
    test(`a login form auto-submitted from ${name} is refused with 403 and sets no cookie`, async ({ page, baseURL, strategy }) => {
      const response = await visitAttack(page, host, `${baseURL}${strategy.loginPath}`, 'form');
      expect(response.status()).toBe(403);
      await expect(page.getByRole('heading', { level: 1 })).toContainText(/cross-site/i);
      await expectNoLogin(page);
    });
  }

  test('control: the same page served from the app origin does log in', async ({ page, baseURL, strategy }) => {
    const action = `${baseURL}${strategy.loginPath}`;
    await page.route(`${baseURL}/attack`, (route) => route.fulfill({ contentType: 'text/html', body: attackPage(action, 'form') }));
    await page.goto('/attack');
    await expect(page).toHaveURL(strategy.dashboardPath);
    expect((await authCookies(page.context())).map((c) => c.name)).toEqual([strategy.cookieName]);
  });
});

test.describe('JSON API', () => {
  for (const { name, host } of attackers) {
    test(`a no-cors POST /api/auth from ${name} is refused with 403 and sets no cookie`, async ({ page, baseURL }) => {
      const response = await visitAttack(page, host, `${baseURL}/api/auth`, 'fetch');
      expect(response.status()).toBe(403);
      await expectNoLogin(page);
    });
  }

  test('control: the same fetch from the app origin logs in', async ({ page, baseURL }) => {
    const action = `${baseURL}/api/auth`;
    await page.route(`${baseURL}/attack`, (route) => route.fulfill({ contentType: 'text/html', body: attackPage(action, 'fetch') }));
    const answer = page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST');
    await page.goto('/attack');
    expect((await answer).status()).toBe(200);
    await expect.poll(async () => (await apiStatus(page.request)).strategies.session.authenticated).toBe(true);
  });
});
