import { authCookie, decodeJWT, expect, jwtStrategy, LoginForm, sessionStrategy, strategies, test } from '../support/fixtures';

// /learn/tradeoffs shows figures the server measured on a session and a JWT
// it issued itself. The byte counts must be what a browser really holds
// and sends; the timings must be measurements, with a unit.

/** bytes reads a figure such as "59 bytes". */
function bytes(text: string): number {
  const m = /^(\d+) bytes$/.exec(text.trim());
  expect(m, `a byte count: "${text}"`).not.toBeNull();
  return Number(m![1]);
}

test("the bytes added to every request are the length of the browser's own name=value for each cookie", async ({ page, context }) => {
  for (const s of strategies) await new LoginForm(page, s).login();
  const session = await authCookie(context, sessionStrategy);
  const jwt = await authCookie(context, jwtStrategy);
  expect(session, 'session cookie').toBeDefined();
  expect(jwt, 'JWT cookie').toBeDefined();

  const request = page.waitForRequest((r) => new URL(r.url()).pathname === '/learn/tradeoffs');
  await page.goto('/learn/tradeoffs');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Trade-offs');
  // Both cookies are in the Cookie header the browser sent for this very page.
  const cookieHeader = (await (await request).allHeaders()).cookie ?? '';
  for (const c of [session!, jwt!]) expect(cookieHeader.split('; '), 'Cookie header').toContain(`${c.name}=${c.value}`);

  const row = page.getByRole('row', { name: /Bytes added to every request/ });
  await expect(row).toBeVisible();

  // The session: its cookie's name=value, and the token's length as the page words it.
  await expect(row.getByTestId('figure-session-cookie')).toHaveText(`${session!.name.length + 1 + session!.value.length} bytes`);
  await expect(row.getByRole('cell').first()).toContainText(`${session!.name}=`);
  await expect(row.getByRole('cell').first()).toContainText(`${session!.value.length}-character random token`);

  // The JWT: the page measured one it issued for a user id it names; its
  // length matches the browser's only for the same user (the id is in sub).
  const measuredFor = /for user id (\d+)/.exec(await page.getByText(/issued a real session and a real JWT for user id \d+/).innerText());
  expect(measuredFor, 'the page names the user it measured for').not.toBeNull();
  expect(decodeJWT(jwt!.value).claims.sub, "the browser's JWT is for the user the page measured").toBe(measuredFor![1]);
  await expect(row.getByTestId('figure-jwt-cookie')).toHaveText(`${jwt!.name.length + 1 + jwt!.value.length} bytes`);
  await expect(row.getByTestId('figure-bearer-header')).toHaveText(`${'Authorization: Bearer '.length + jwt!.value.length} bytes`);

  // While signed in, a JWT's requests read nothing on the server.
  expect(bytes(await page.getByTestId('figure-jwt-server').innerText())).toBe(0);
  expect(bytes(await page.getByTestId('figure-session-record').innerText())).toBeGreaterThan(0);
});

test('the timing figures are positive durations with a unit, each the mean of a documented number of runs', async ({ page }) => {
  await page.goto('/learn/tradeoffs');
  const method = await page.getByText(/^How the times were taken/).innerText();
  const bounds = /stopped after (\d+) runs, or after \S+ once (\d+) are done/.exec(method);
  expect(bounds, `the method names its bounds: ${method}`).not.toBeNull();
  const [max, min] = [Number(bounds![1]), Number(bounds![2])];

  for (const key of ['session', 'jwt']) {
    const figure = (await page.getByTestId(`figure-${key}-check`).innerText()).trim();
    const m = /^(\d+(?:\.\d+)?) (ns|µs|ms|s)$/.exec(figure);
    expect(m, `${key}: a number and a unit: "${figure}"`).not.toBeNull();
    expect(Number(m![1]), `${key}: ${figure}`).toBeGreaterThan(0);

    const runs = Number((await page.getByTestId(`figure-${key}-runs`).innerText()).trim());
    expect(Number.isInteger(runs), `${key} runs`).toBe(true);
    expect(runs, `${key} runs`).toBeGreaterThanOrEqual(min);
    expect(runs, `${key} runs`).toBeLessThanOrEqual(max);
  }
});
