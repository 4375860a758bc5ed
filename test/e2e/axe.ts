import type { Page } from 'playwright-core';

/** axe-core's own bundle, injected into the page under test (never fetched from anywhere). */
const AXE = require.resolve('axe-core/axe.min.js');

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
}

/**
 * The serious and critical accessibility violations axe-core finds in the page as it is now,
 * one line each (`rule: help — selector: why`), so that a failing test says what to fix.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResult> } };
    return w.axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.slice(0, 5).map((n) => `${v.id}: ${v.help} — ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 200)}`));
}

/** How far the page scrolls sideways (0: it does not), and the elements that stick out furthest. */
export async function sidewaysScroll(page: Page): Promise<{ by: number; culprits: string[] }> {
  return page.evaluate(() => {
    const by = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth;
    const culprits: string[] = [];
    if (by > 0) {
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > window.innerWidth + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right >= r.right)) {
          culprits.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} (${Math.round(r.right - window.innerWidth)} px)`);
        }
        if (culprits.length >= 6) break;
      }
    }
    return { by, culprits };
  });
}
