/**
 * A run's timeline (`#/runs/<id>/timeline`) in a real headless Chromium against a real server
 * over the example chains: each task's wait and run on a time axis, the critical path marked,
 * a big family one row with its spread until opened, hover and keyboard, and 5,001 tasks.
 */
import type { Page } from 'playwright-core';
import { haveChromium } from '../helpers/browser';
import { call } from '../helpers/server';
import { uiHarness } from './ui-harness';

const run = haveChromium() ? describe : describe.skip;

run('run timeline', () => {
  let report = '';
  const ui = uiHarness('nectar-e2e-timeline-', async (h) => {
    // Three 200 ms stages then a summary, beside 12 loads of 33–167 ms: 13 tasks ready at once for 8 slots.
    report = await h.post('/api/chains/testchains/ReportTask?n=12&ms=100');
    await h.settled(report);
  });

  const openPage = async (hash: string, viewport = { width: 1400, height: 900 }): Promise<Page> => {
    const page = await ui.browser.newPage({ viewport });
    page.on('pageerror', (e) => ui.pageErrors.push(e.message));
    await page.goto(`${ui.base}/${hash}`);
    return page;
  };
  /** The rows' labels as shown (without their words for screen readers). */
  const labels = (page: Page, sel = '.tl-row'): Promise<string[]> => page.$$eval(`${sel} .tl-label`, (ls) => ls.map((l) => {
    const c = l.cloneNode(true) as HTMLElement;
    c.querySelector('.sr')?.remove();
    return (c.textContent ?? '').trim();
  }));

  test('tasks on a time axis: waits and runs, the critical path marked, a family one row with its spread', async () => {
    const page = await openPage(`#/runs/${report}/timeline`);
    await page.waitForSelector('.tl-host[data-first-paint-ms]');
    const rows = await labels(page);
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.includes('LoadTask ×12'))).toHaveLength(1);
    expect(rows.filter((r) => r.includes('StepTask'))).toHaveLength(3);
    // The stages ran one after another: the chain, not the short loads, made the run as long as it was.
    expect(await labels(page, '.tl-row.crit')).toEqual([
      expect.stringContaining('stage=extract'),
      expect.stringContaining('stage=transform'),
      expect.stringContaining('stage=load'),
      expect.stringContaining('StepsTask'),
      expect.stringContaining('ReportTask'),
    ]);
    expect(await page.textContent('.tl-path')).toContain('Critical path: 5 tasks');
    expect(await page.textContent('.tl-path')).toContain('StepTask → StepTask → StepTask → StepsTask → ReportTask');
    // Rows start in order, and each bar starts where its task started on the axis.
    const lefts = await page.$$eval('.tl-row .tl-bar', (bs) => bs.map((b) => parseFloat((b as HTMLElement).style.left)));
    expect(lefts).toEqual([...lefts].sort((a, b) => a - b));
    expect(await page.$$eval('.tl-row.fam .tl-spark path', (ps) => ps.length)).toBe(1);
    expect(await page.textContent('.tl-row.fam .sr')).toContain('12 tasks: 12 done');
    expect(await page.textContent('.tl-row.fam .sr')).toMatch(/each ran \d+ ms to \d+ ms \(median \d+ ms\)/);

    // Hover: the facts of a row.
    await page.hover('.tl-row.crit:has-text("stage=transform") .tl-bar');
    await page.waitForSelector('.tl-tip:not([hidden])');
    const tip = await page.textContent('.tl-tip');
    expect(tip).toContain('stage=transform');
    expect(tip).toMatch(/ran 2\d\d ms, ended \+/);
    expect(tip).toContain('on the critical path');

    // The family opens into one row per load; 13 tasks were ready at once for 8 slots, so some waited.
    await page.click('.tl-row.fam .tl-label');
    await page.waitForSelector('.tl-row.member');
    expect(await page.locator('.tl-row.member').count()).toBe(12);
    expect(await page.locator('.tl-row.member .tl-wait').count()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('.tl-detail')).toContain('LoadTask ×12');
    expect(await page.textContent('.tl-row.member .sr >> nth=-1')).toMatch(/after waiting \d+ ms/);
    await page.close();
  });

  test('the keyboard moves through rows and opens a family; "critical path only" keeps the path', async () => {
    const page = await openPage(`#/runs/${report}/timeline`);
    await page.waitForSelector('.tl-row');
    await page.focus('.tl-scroll');
    await page.keyboard.press('Home');
    const first = await page.getAttribute('.tl-scroll', 'aria-activedescendant');
    expect(first).toBe('tl-r0');
    expect(await page.getAttribute('#tl-r0', 'aria-selected')).toBe('true');
    await page.keyboard.press('End');
    expect(await page.getAttribute('.tl-scroll', 'aria-activedescendant')).toBe('tl-r5');
    expect(await page.textContent('.tl-detail h2')).toBe('ReportTask');
    const famAt = await page.$eval('.tl-row.fam', (r) => Number((r as HTMLElement).dataset['i']));
    await page.keyboard.press('Home');
    for (let i = 0; i < famAt; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.tl-row.member');
    expect(await page.locator('.tl-row.member').count()).toBe(12);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.tl-row.member', { state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('tl-scroll');

    await page.check('#tl-critical');
    await page.waitForFunction(() => document.querySelectorAll('.tl-row').length === 5);
    expect(await page.locator('.tl-row.crit').count()).toBe(5);
    await page.close();
  });

  test('"Show in the graph" opens the run view with that task selected; the tabs link both views', async () => {
    const page = await openPage(`#/runs/${report}/timeline`);
    await page.waitForSelector('.tl-row');
    await page.click('.tl-row:has-text("ReportTask") .tl-label');
    await page.click('.tl-detail a:has-text("Show in the graph")');
    await page.waitForSelector('.panel .task-id');
    expect(await page.textContent('.panel h2')).toContain('ReportTask');
    expect(await page.getAttribute('.run-tab:has-text("Graph")', 'aria-current')).toBe('page');
    await page.click('.run-tab:has-text("Timeline")');
    await page.waitForSelector('.tl-row');
    expect(await page.evaluate(() => location.hash)).toBe(`#/runs/${report}/timeline`);
    await page.close();
  });

  test('a run in flight: running bars grow up to a "now" line, and the timeline follows it to its end', async () => {
    const live = await ui.post('/api/chains/testchains/StepsTask?steps=4&ms=250');
    const page = await openPage(`#/runs/${live}/timeline`);
    await page.waitForSelector('.tl-row.st-running .tl-bar');
    expect(await page.locator('.tl-now').count()).toBe(1);
    expect(await page.textContent('.tl-row.st-running .sr')).toContain('running for');
    await ui.settled(live);
    await page.waitForFunction(() => document.querySelectorAll('.tl-row.st-done').length === 4);
    expect(await page.locator('.tl-now').count()).toBe(0);
    await page.close();
  });

  test('5,001 tasks: one row for the family, and opened every row is there but only those in sight are drawn', async () => {
    const wide = await ui.post('/api/chains/testchains/WideTask?n=5000');
    expect(await ui.settled(wide)).toBe('SUCCEEDED');
    const page = await openPage(`#/runs/${wide}/timeline`);
    await page.waitForSelector('.tl-host[data-first-paint-ms]');
    expect(await labels(page)).toEqual([expect.stringContaining('LeafTask ×5000'), expect.stringContaining('WideTask')]);
    await page.goto(`${ui.base}/#/runs/${wide}/timeline?expand=all`);
    await page.reload();
    await page.waitForSelector('.tl-host[data-first-paint-ms]');
    // The family's own row heads its 5,000 members' rows.
    expect(await page.getAttribute('.tl-host', 'data-rows')).toBe('5002');
    expect(await page.getAttribute('.tl-host', 'data-tasks')).toBe('5001');
    expect(await page.locator('.tl-row').count()).toBeLessThan(100);
    await page.$eval('.tl-scroll', (s) => (s.scrollTop = s.scrollHeight));
    await page.waitForSelector('.tl-row:has-text("WideTask")');
    expect(await page.locator('.tl-row').count()).toBeLessThan(100);
    // What the page drew agrees with what the API recorded.
    const detail = await call(`${ui.base}/api/runs/${wide}`);
    expect((detail.body.data['nodes'] as unknown[]).length).toBe(5001);
    await page.close();
  });
});
