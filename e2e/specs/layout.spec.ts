import { type Page } from '@playwright/test';
import { expect, jwtStrategy, LoginForm, strategies, test } from '../support/fixtures';

// What a reader must be able to see without scrolling, measured in the
// browser (a11y.spec.ts checks that no page scrolls sideways at either
// width). On a desktop every code panel shows its longest line whole; on a
// phone the sequence diagrams fit their column, the decoded JWT wraps, and
// the quiz's questions sit inside their boxes.

const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

/** clippedPres names every pre on the page whose content is wider than its box, with both widths. */
function clippedPres(page: Page): Promise<string[]> {
  return page.locator('pre').evaluateAll((pres) =>
    pres
      .filter((pre) => pre.scrollWidth > pre.clientWidth)
      .map((pre) => {
        const el = pre as HTMLElement;
        const name = el.dataset.name ?? el.dataset.testid ?? el.id ?? el.textContent!.slice(0, 40);
        return `${name}: ${el.scrollWidth} px of content in ${el.clientWidth} px`;
      }),
  );
}

const loginAll = async (page: Page) => {
  for (const s of strategies) await new LoginForm(page, s).login();
};

test.describe(`at ${desktop.width} px`, () => {
  test.use({ viewport: desktop });

  test('every code panel, command, token and quoted snippet shows its longest line', async ({ page }) => {
    await loginAll(page);
    for (const path of ['/', '/compare', jwtStrategy.dashboardPath, '/learn/1', '/learn/2', '/learn/3', '/learn/4', '/learn/quiz']) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      expect(await clippedPres(page), path).toEqual([]);
    }
  });
});

test.describe(`at ${phone.width} px`, () => {
  test.use({ viewport: phone });

  test('the sequence diagrams fit their column, nothing cut off', async ({ page }) => {
    await page.goto('/learn');
    const pictures = page.getByRole('region', { name: 'The two strategies in pictures' });
    const images = pictures.getByRole('img');
    await expect(images).toHaveCount(strategies.length);
    for (const image of await images.all()) {
      const fit = await image.evaluate((svg) => {
        const box = svg.getBoundingClientRect();
        const figure = svg.closest('figure')!;
        const style = getComputedStyle(figure);
        const inner = figure.getBoundingClientRect();
        const left = inner.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
        const right = inner.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
        // Nothing between the drawing and the figure scrolls or clips it.
        let scrolls = false;
        for (let el = svg.parentElement; el && el !== figure; el = el.parentElement) {
          if (el.scrollWidth > el.clientWidth) scrolls = true;
        }
        return { left: box.left, right: box.right, columnLeft: left, columnRight: right, scrolls };
      });
      expect(fit.left, 'the drawing starts inside its figure').toBeGreaterThanOrEqual(fit.columnLeft - 0.5);
      expect(fit.right, 'the drawing ends inside its figure').toBeLessThanOrEqual(fit.columnRight + 0.5);
      expect(fit.scrolls, 'no box around the drawing scrolls').toBe(false);
    }
  });

  test('the decoded JWT wraps instead of running off the screen', async ({ page }) => {
    await loginAll(page);
    for (const path of ['/compare', jwtStrategy.dashboardPath]) {
      await page.goto(path);
      for (const part of ['jwt-header', 'jwt-claims']) {
        const pre = page.getByTestId(part);
        await expect(pre, `${path} ${part}`).toBeVisible();
        const { scrollWidth, clientWidth } = await pre.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
        expect(scrollWidth, `${path} ${part} wraps`).toBeLessThanOrEqual(clientWidth);
      }
    }
  });

  test("every quiz question's legend sits inside its box, below the top border", async ({ page }) => {
    await page.goto('/learn/quiz');
    const placement = await page.getByTestId(/^question-/).evaluateAll((sets) =>
      sets.map((set) => {
        // A legend left to the browser straddles the top border, its box
        // starting where the fieldset's does; inside, it starts below the
        // border and the padding, where the content does.
        const legend = set.querySelector('legend')!;
        const style = getComputedStyle(set);
        const contentTop = set.getBoundingClientRect().top + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop);
        return { id: set.id, legendTop: legend.getBoundingClientRect().top, contentTop };
      }),
    );
    expect(placement.length).toBeGreaterThan(0);
    for (const q of placement) {
      expect(q.legendTop, `${q.id}'s legend is inside its box, below the border`).toBeGreaterThanOrEqual(q.contentTop - 0.5);
    }
  });
});
