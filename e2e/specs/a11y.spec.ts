import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '../support/fixtures';
import { auditedPages } from '../support/pages';

// axe-core on every page and state in support/pages.ts: no violation of
// serious or critical impact. Lesser ones are attached to the report.

const blocking = new Set(['serious', 'critical']);

for (const p of auditedPages) {
  test(`${p.name}: no serious or critical axe violations`, async ({ page }, testInfo) => {
    await p.before?.(page);
    const response = await page.goto(p.path);
    expect(response?.status(), p.path).toBe(p.status ?? 200);
    await p.after?.(page);

    const results = await new AxeBuilder({ page }).analyze();
    await testInfo.attach('axe-violations.json', { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
    const found = results.violations
      .filter((v) => blocking.has(v.impact ?? ''))
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(found).toEqual([]);
  });
}
