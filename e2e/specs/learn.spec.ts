import { expect, test } from '../support/fixtures';
import { escapeRegExp, learnSteps, pager, sourceFile, squash } from '../support/learn';
import { mainURL } from '../support/servers';

// The /learn walkthrough: step by step through the pager, code panels that
// quote the repository's own source, try-it commands aimed at this server,
// and the two sequence diagrams as accessible images.

/** How many steps the walkthrough has, and what each step page must hold. */
const stepNumbers = [1, 2, 3, 4];

test('the walkthrough reads from the overview through every step and back, by the pager links', async ({ page }) => {
  await page.goto('/learn');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Learn');
  const steps = await learnSteps(page);
  expect(steps.map((s) => s.number)).toEqual(stepNumbers);

  await page.getByRole('link', { name: 'Start with step 1', exact: true }).click();
  // Forwards: every step's heading is its title, and "next" leads on.
  for (const [i, step] of steps.entries()) {
    await expect(page).toHaveURL(`/learn/${step.number}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(step.title);
    await expect(page.getByText(`Step ${step.number} of ${steps.length}`, { exact: true })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Walkthrough' }).getByRole('link', { name: `Step ${step.number}`, exact: true }))
      .toHaveAttribute('aria-current', 'page');
    const next = steps[i + 1];
    const link = next
      ? pager(page).getByRole('link', { name: new RegExp(`^Step ${next.number}: ${escapeRegExp(next.title)}`) })
      : pager(page).getByRole('link', { name: /trade-offs/i });
    await link.click();
  }
  await expect(page).toHaveURL('/learn/tradeoffs');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Trade-offs');

  // Backwards: "previous" from the last step down to the overview.
  await page.goBack();
  for (const [i, step] of [...steps.entries()].reverse()) {
    await expect(page).toHaveURL(`/learn/${step.number}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(step.title);
    const prev = steps[i - 1];
    const link = prev
      ? pager(page).getByRole('link', { name: new RegExp(`Step ${prev.number}: ${escapeRegExp(prev.title)}$`) })
      : pager(page).getByRole('link', { name: /Overview$/ });
    await link.click();
  }
  await expect(page).toHaveURL('/learn');
});

for (const n of stepNumbers) {
  test(`step ${n}: a heading, code panels quoting the repository's source, and curl commands aimed at this server`, async ({ page, request }) => {
    const response = await page.goto(`/learn/${n}`);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).not.toBeEmpty();

    // Each code panel sits in a figure whose caption says what it quotes.
    const figures = page.getByRole('figure').filter({ has: page.getByTestId('code-panel') });
    expect(await figures.count(), 'code panels').toBeGreaterThan(0);
    for (const figure of await figures.all()) {
      const panel = figure.getByTestId('code-panel');
      const file = await panel.getAttribute('data-file');
      const name = await panel.getAttribute('data-name');
      expect(file, 'data-file').toBeTruthy();
      expect(name, 'data-name').toBeTruthy();
      const code = squash((await panel.textContent()) ?? '');
      expect(code.length, `${name} has code`).toBeGreaterThan(0);
      expect(sourceFile(file!), `${name} is quoted as it stands in ${file}`).toContain(code);
      await expect(figure).toHaveAccessibleName(new RegExp(`^${escapeRegExp(name!)}\\s+in\\s+${escapeRegExp(file!)},\\s+lines \\d+–\\d+`));
    }

    // Every URL in the try-it commands is this server's own.
    const base = mainURL();
    const tryIt = page.getByRole('region', { name: 'Try it' });
    await expect(tryIt).toBeVisible();
    const commands = (await tryIt.getByTestId('try-command').allTextContents()).join('\n').split('\n');
    const curls = commands.filter((c) => /(^|\()curl /.test(c));
    expect(curls.length, 'curl commands').toBeGreaterThan(0);
    const urls = new Set<string>();
    for (const curl of curls) {
      const found = curl.match(/https?:\/\/[^\s'"|)]+/g) ?? [];
      expect(found.length, `a URL in: ${curl}`).toBeGreaterThan(0);
      for (const url of found) {
        expect(url.startsWith(`${base}/`), `${url} is on ${base}`).toBe(true);
        urls.add(url);
      }
    }
    // And the paths they name exist on it.
    for (const url of urls) {
      const res = await request.get(url);
      expect(res.status(), `GET ${url}`).toBe(200);
    }
  });
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled });

    test("the overview's sequence diagrams are images with a name", async ({ page }) => {
      await page.goto('/learn');
      const pictures = page.getByRole('region', { name: 'The two strategies in pictures' });
      for (const [testid, title] of [
        ['seq-session', 'Server session: login, a later request, logout'],
        ['seq-jwt', 'JWT cookie: login, a later request, logout'],
      ]) {
        const image = pictures.getByRole('img', { name: title });
        await expect(image, title).toBeVisible();
        await expect(image).toHaveAttribute('data-testid', testid);
        await expect(image).toHaveAccessibleName(new RegExp(`^${escapeRegExp(title)}`));
        // The figure's caption says the same, and a text version follows.
        const figure = pictures.getByRole('figure', { name: title, exact: true });
        await expect(figure).toBeVisible();
        await expect(figure.getByText('The same, as text', { exact: true })).toBeVisible();
      }
    });
  });
}
