import { type Locator, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { demo, expect, jwtStrategy, LoginForm, strategies, test } from '../support/fixtures';

// Takes the pictures README shows from the running app, at a desktop's
// width and at a phone's: the compare page signed in to both, each
// dashboard, the walkthrough's sequence diagrams and paired code panels,
// and the quiz. On every run they go to the test's output folder, so a
// test run leaves the tree clean; `make screenshots` sets
// AUTHLAB_SCREENSHOTS_DIR to e2e/screenshots/ to regenerate the committed
// files from the same spec.
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** expectPNG checks file is a PNG of the viewport's size: signature, then IHDR's width and height. */
function expectPNG(file: string, viewport: { width: number; height: number }) {
  const png = readFileSync(file);
  expect(png.length, `${file} is not empty`).toBeGreaterThan(pngSignature.length + 16);
  expect(png.subarray(0, 8).equals(pngSignature), `${file} starts as a PNG`).toBe(true);
  expect(png.toString('latin1', 12, 16), `${file}'s first chunk`).toBe('IHDR');
  expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, `${file}'s size`).toEqual(viewport);
}

interface Shot {
  file: string;
  viewport: { width: number; height: number };
  path: string;
  /** Waits until the page shows what the picture is of. */
  ready: (page: Page) => Promise<void>;
  /** Scrolled to the top of the window before the picture is taken; the top of the page if not given. */
  at?: (page: Page) => Locator;
}

const compareReady = async (page: Page) => {
  for (const s of strategies) await expect(page.getByTestId(`state-${s.key}`)).toContainText(`Signed in as ${demo.username}`);
};

const dashboardReady = (s: (typeof strategies)[number]) => async (page: Page) => {
  await expect(page.getByTestId('dashboard-user')).toHaveText(demo.username);
  await expect(page.getByTestId('dashboard-strategy')).toHaveText(new RegExp(`^${s.name}$`, 'i'));
};

const diagrams = (page: Page) => page.getByRole('region', { name: 'The two strategies in pictures' });
const diagramsReady = async (page: Page) => {
  for (const s of strategies) await expect(diagrams(page).getByRole('img', { name: new RegExp(`^${s.name}: `) })).toBeVisible();
};

// Step 2's token settings: the paired panel whose code the quiz asks about.
const tokenSettings = (page: Page) => page.getByRole('heading', { name: 'The token settings' });
const codeReady = async (page: Page) => {
  await expect(tokenSettings(page)).toBeVisible();
  await expect(page.getByTestId('code-panel').first()).toBeVisible();
};

// A question that quotes code, the kind that once pushed the quiz sideways on a phone.
const codeQuestion = (page: Page) => page.getByTestId(/^question-/).filter({ has: page.locator('pre') }).last();
const quizReady = async (page: Page) => {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quiz');
  await expect(codeQuestion(page)).toBeVisible();
};

const shots: Shot[] = [
  { file: 'compare.png', viewport: desktop, path: '/compare', ready: compareReady },
  { file: 'compare-phone.png', viewport: phone, path: '/compare', ready: compareReady },
  ...strategies.map((s) => ({ file: `dashboard-${s.key}.png`, viewport: desktop, path: s.dashboardPath, ready: dashboardReady(s) })),
  {
    file: 'dashboard-jwt-phone.png',
    viewport: phone,
    path: jwtStrategy.dashboardPath,
    ready: dashboardReady(jwtStrategy),
    // The decoded header and claims, which wrap rather than run off a phone's screen.
    at: (page) => page.getByText(/^Decoded token/),
  },
  { file: 'learn-diagrams.png', viewport: desktop, path: '/learn', ready: diagramsReady, at: diagrams },
  { file: 'learn-diagrams-phone.png', viewport: phone, path: '/learn', ready: diagramsReady, at: (page) => diagrams(page).getByRole('figure').first() },
  { file: 'learn-code.png', viewport: desktop, path: '/learn/2', ready: codeReady, at: tokenSettings },
  { file: 'learn-code-phone.png', viewport: phone, path: '/learn/2', ready: codeReady, at: tokenSettings },
  { file: 'quiz.png', viewport: desktop, path: '/learn/quiz', ready: quizReady, at: codeQuestion },
  { file: 'quiz-phone.png', viewport: phone, path: '/learn/quiz', ready: quizReady, at: codeQuestion },
];

for (const [name, viewport] of [
  ['desktop', desktop],
  ['phone', phone],
] as const) {
  test(`screenshots at ${viewport.width} px (${name}): compare, dashboards, walkthrough, quiz`, async ({ page }, testInfo) => {
    const dir = process.env.AUTHLAB_SCREENSHOTS_DIR || testInfo.outputPath('screenshots');
    mkdirSync(dir, { recursive: true });
    await page.setViewportSize(viewport);
    for (const s of strategies) await new LoginForm(page, s).login();

    for (const shot of shots.filter((s) => s.viewport === viewport)) {
      await page.goto(shot.path);
      await shot.ready(page);
      if (shot.at) {
        // The element at the top, with a little room above it.
        await shot.at(page).evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 12));
      }
      const file = path.join(dir, shot.file);
      await page.screenshot({ path: file, fullPage: false, animations: 'disabled', caret: 'hide' });
      expectPNG(file, viewport);
    }
  });
}
