import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { demo, expect, LoginForm, strategies, test } from '../support/fixtures';

// Takes the pictures README shows (the compare page signed in to both, and
// each dashboard) from the running app. On every run they go to the test's
// output folder, so a test run leaves the tree clean; `make screenshots`
// sets AUTHLAB_SCREENSHOTS_DIR to e2e/screenshots/ to regenerate the
// committed files from the same spec.
const viewport = { width: 1280, height: 800 };
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test.use({ viewport });

/** expectPNG checks file is a PNG of the viewport's size: signature, then IHDR's width and height. */
function expectPNG(file: string) {
  const png = readFileSync(file);
  expect(png.length, `${file} is not empty`).toBeGreaterThan(pngSignature.length + 16);
  expect(png.subarray(0, 8).equals(pngSignature), `${file} starts as a PNG`).toBe(true);
  expect(png.toString('latin1', 12, 16), `${file}'s first chunk`).toBe('IHDR');
  expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, `${file}'s size`).toEqual(viewport);
}

test('screenshots of the compare page signed in to both, and of each dashboard', async ({ page }, testInfo) => {
  const dir = process.env.AUTHLAB_SCREENSHOTS_DIR || testInfo.outputPath('screenshots');
  mkdirSync(dir, { recursive: true });
  for (const s of strategies) await new LoginForm(page, s).login();

  const shots: { file: string; path: string; ready: () => Promise<void> }[] = [
    {
      file: 'compare.png',
      path: '/compare',
      ready: async () => {
        for (const s of strategies) await expect(page.getByTestId(`state-${s.key}`)).toContainText(`Signed in as ${demo.username}`);
      },
    },
    ...strategies.map((s) => ({
      file: `dashboard-${s.key}.png`,
      path: s.dashboardPath,
      ready: async () => {
        await expect(page.getByTestId('dashboard-user')).toHaveText(demo.username);
        await expect(page.getByTestId('dashboard-strategy')).toHaveText(new RegExp(`^${s.name}$`, 'i'));
      },
    })),
  ];
  for (const shot of shots) {
    await page.goto(shot.path);
    await shot.ready();
    const file = path.join(dir, shot.file);
    await page.screenshot({ path: file, fullPage: false, animations: 'disabled', caret: 'hide' });
    expectPNG(file);
  }
});
