import { randomBytes } from 'node:crypto';
import {
  apiStatus,
  authCookie,
  authCookies,
  decodeJWT,
  expect,
  forEachStrategy,
  jwtStrategy,
  sessionStrategy,
  test,
} from '../support/fixtures';
import { MAIN_TTL_SECONDS } from '../support/servers';

// What the browser really holds after login, read with context.cookies().

forEachStrategy(() => {
  test('the auth cookie is HttpOnly, SameSite=Lax, Path=/ and lives only as long as the browser', async ({ context, strategy, loginForm }) => {
    await loginForm.login();
    const cookies = await authCookies(context);
    expect(cookies.map((c) => c.name), 'only this strategy sets a cookie').toEqual([strategy.cookieName]);
    const [cookie] = cookies;
    expect(cookie).toMatchObject({
      domain: '127.0.0.1',
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: false, // an http base URL
      expires: -1, // no Expires or Max-Age: a browser-session cookie
    });
  });
});

test.describe(jwtStrategy.name, () => {
  test.use({ strategy: jwtStrategy });

  test('the JWT cookie decodes to the contract claims, signed with HS256', async ({ page, context, loginForm }) => {
    const before = Math.floor(Date.now() / 1000);
    await loginForm.login();
    const after = Math.ceil(Date.now() / 1000);
    const cookie = (await authCookie(context, jwtStrategy))!;
    const { header, claims, signatureValid } = decodeJWT(cookie.value);

    expect(header).toMatchObject({ alg: 'HS256' });
    expect(signatureValid, 'HMAC-SHA256 over header.claims with the server key').toBe(true);

    const status = await apiStatus(page.request);
    expect(status.strategies.jwt).toMatchObject({ authenticated: true, username: 'user1' });
    expect(claims.sub).toBe(String(status.userId));
    expect(claims.iss).toBe('authlab');
    expect([claims.aud].flat()).toEqual(['authlab']);
    expect(claims.jti).toEqual(expect.stringMatching(/^\S{16,}$/));
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect((claims.exp as number) - (claims.iat as number)).toBe(MAIN_TTL_SECONDS);

    // The dashboard shows the same claims, decoded by the server.
    expect(JSON.parse(await page.getByTestId('jwt-claims').innerText())).toEqual(claims);
  });
});

test.describe(sessionStrategy.name, () => {
  test.use({ strategy: sessionStrategy });

  test('the session cookie is opaque and names a record the server keeps', async ({ context, request, loginForm }) => {
    await loginForm.login();
    const cookie = (await authCookie(context, sessionStrategy))!;

    // 32 random bytes, base64url: no dots, nothing that decodes to the user.
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const decoded = Buffer.from(cookie.value, 'base64url');
    expect(decoded).toHaveLength(32);
    expect(decoded.toString('latin1')).not.toContain('user1');

    // The same cookie, alone, from a client that is not the browser: the
    // server finds the record and knows who it is.
    const status = await apiStatus(request, [cookie]);
    expect(status.strategies.session).toMatchObject({ authenticated: true, username: 'user1' });
    expect(status.strategies.jwt).toMatchObject({ authenticated: false, reason: 'missing' });

    // A well-formed token the server never issued names no record.
    const forged = { ...cookie, value: randomBytes(32).toString('base64url') };
    const refused = await apiStatus(request, [forged]);
    expect(refused.authenticated).toBe(false);
    expect(refused.strategies.session).toMatchObject({ authenticated: false, reason: 'expired' });
  });
});
