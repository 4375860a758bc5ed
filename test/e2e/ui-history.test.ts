/**
 * History in the UI, in a real headless Chromium against a real server over the example
 * chains: the runs list filtered by state, task, parameters and days (kept in the address,
 * refused values said by their field), and a task's recent runs in the run view's panel.
 */
import type { Page } from 'playwright-core';
import { haveChromium } from '../helpers/browser';
import { uiHarness } from './ui-harness';

const run = haveChromium() ? describe : describe.skip;

run('history: runs filtered, a task across runs', () => {
  let steps2 = '';
  let report = '';
  /** Runs made before the tests: three StepsTask, two BrokenTask, one ReportTask. */
  const ALL = 6;
  const ui = uiHarness('nectar-e2e-history-', async (h) => {
    for (const n of [1, 3]) await h.settled(await h.post(`/api/chains/testchains/StepsTask?steps=${n}&ms=0`));
    steps2 = await h.post('/api/chains/testchains/StepsTask?steps=2&ms=0');
    await h.settled(steps2);
    // A failed root runs again when asked again: two runs of one task with the same parameters.
    for (let i = 0; i < 2; i++) await h.settled(await h.post('/api/chains/testchains/BrokenTask?reason=history'));
    // ReportTask needs StepsTask(steps=2, ms=0), complete already: a second run of that task, skipped in it.
    report = await h.post('/api/chains/testchains/ReportTask?n=1&ms=0');
    await h.settled(report);
  });

  const openPage = async (hash: string): Promise<Page> => {
    const page = await ui.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => ui.pageErrors.push(e.message));
    await page.goto(`${ui.base}/${hash}`);
    return page;
  };
  const rowsShown = (page: Page): Promise<string[]> => page.$$eval('.runs-table tbody tr', (rs) => rs.map((r) => `${r.querySelector('td:nth-child(2) a')?.textContent} ${r.querySelector('td.params')?.textContent}`));

  test('the runs list filters by task and parameters, by state, and by day; the address keeps the filter', async () => {
    const page = await openPage('#/runs');
    await page.waitForSelector('.runs-table');
    expect(await page.locator('.runs-table tbody tr').count()).toBe(ALL);
    await page.fill('#rf-task', 'StepsTask');
    await page.fill('#rf-params', 'steps=2');
    await page.press('#rf-params', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.runs-table tbody tr').length === 1);
    expect(await rowsShown(page)).toEqual(['testchains/demo_chain/StepsTask ms=0, steps=2']);
    expect(await page.evaluate(() => location.hash)).toBe('#/runs?task=StepsTask&params=steps%3D2');
    // Filtered by a task, the runs are also a strip over time, one bar per run.
    expect(await page.locator('.run-strip .strip-bar').count()).toBe(1);
    await page.reload();
    await page.waitForSelector('.runs-table');
    expect(await page.inputValue('#rf-params')).toBe('steps=2');
    expect(await rowsShown(page)).toEqual(['testchains/demo_chain/StepsTask ms=0, steps=2']);

    await page.click('.runs-filter button:has-text("Clear")');
    await page.waitForFunction((n) => document.querySelectorAll('.runs-table tbody tr').length === n, ALL);
    await page.selectOption('#state-filter', 'FAILED');
    await page.waitForFunction(() => document.querySelectorAll('.runs-table tbody tr').length === 2);
    expect((await rowsShown(page)).every((r) => r.includes('BrokenTask'))).toBe(true);

    // Days are the reader's: today has them all, tomorrow none.
    const day = (offset: number): string => {
      const d = new Date();
      d.setDate(d.getDate() + offset);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    await page.selectOption('#state-filter', '');
    await page.fill('#rf-from', day(0));
    await page.fill('#rf-to', day(0));
    await page.click('.runs-filter button[type=submit]');
    await page.waitForFunction((n) => document.querySelectorAll('.runs-table tbody tr').length === n, ALL);
    await page.fill('#rf-from', day(1));
    await page.fill('#rf-to', '');
    await page.click('.runs-filter button[type=submit]');
    await page.waitForSelector('.runs-body .empty');
    expect(await page.textContent('.runs-body .empty')).toContain(`No runs from ${day(1)}.`);
    await page.close();
  });

  test('a filter the server refuses is said by its field, and the list stays', async () => {
    const page = await openPage('#/runs');
    await page.waitForSelector('.runs-table');
    await page.fill('#rf-params', 'steps');
    await page.press('#rf-params', 'Enter');
    await page.waitForSelector('#rf-params[aria-invalid=true]');
    expect(await page.textContent('#rf-error')).toContain("'params'");
    expect(await page.locator('.runs-table tbody tr').count()).toBe(ALL);
    await page.close();
  });

  test('a task’s panel lists its recent runs: state, how long, and as what; "history" opens its runs', async () => {
    const page = await openPage(`#/runs/${steps2}`);
    await page.waitForSelector('g.node');
    await page.click('g.node[data-id*="/StepsTask/"]');
    await page.waitForSelector('.task-history .history-table');
    const rows = await page.$$eval('.task-history tbody tr', (rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    expect(rows).toHaveLength(2);
    // Newest first: in ReportTask's run it was already complete; in this run it ran, as the root.
    expect(rows[0]?.[1]).toBe('✓ done, already complete');
    expect(rows[0]?.[3]).toContain('for ReportTask');
    expect(rows[1]?.[0]).toContain('(this run)');
    expect(rows[1]?.[1]).toBe('✓ done');
    expect(rows[1]?.[2]).toMatch(/^\d+ ms$/);
    expect(rows[1]?.[3]).toBe('root');
    expect(await page.locator('.task-history .strip-bar').count()).toBe(2);
    expect(await page.getAttribute('.task-history .strip-bar.current', 'aria-label')).toContain('(this run)');
    await page.click(`.task-history tbody tr[data-run="${report}"] a`);
    await page.waitForFunction((id) => location.hash === `#/runs/${id}`, report);

    await page.goto(`${ui.base}/#/runs`);
    await page.waitForSelector('.runs-table');
    await page.click(`.runs-table tr[data-run="${steps2}"] a.same-runs`);
    await page.waitForFunction(() => document.querySelectorAll('.runs-table tbody tr').length === 1);
    expect(await page.inputValue('#rf-task')).toBe('testchains/demo_chain/StepsTask');
    expect(await page.inputValue('#rf-params')).toBe('ms=0 steps=2');
    await page.close();
  });

  test('the grid of runs over time: a task’s runs as columns, their tasks as rows, each cell a state that opens the task', async () => {
    const page = await openPage('#/runs?task=BrokenTask');
    await page.waitForSelector('.run-strip');
    expect(await page.locator('.grid-table').count()).toBe(0);
    await page.click('.grid-toggle');
    await page.waitForSelector('.grid-table');
    expect(await page.getAttribute('.grid-toggle', 'aria-pressed')).toBe('true');
    const grid = await page.$$eval('.grid-table tbody tr', (rs) => rs.map((r) => [r.querySelector('th')?.textContent, ...[...r.querySelectorAll('.grid-cell')].map((c) => c.getAttribute('data-state'))]));
    // The failing requirement above the task that needed it; the same in both runs.
    expect(grid).toEqual([['FailingTask reason=history', 'FAILED', 'FAILED'], ['BrokenTask reason=history', 'UPSTREAM_FAILED', 'UPSTREAM_FAILED']]);
    expect(await page.textContent('.grid-table tbody tr:first-child .grid-cell .sr')).toMatch(/^failed, ran \d+ ms$/);
    await page.click('.grid-table tbody tr:first-child td:last-child a');
    await page.waitForSelector('.panel .task-id');
    expect(await page.textContent('.panel h2')).toBe('FailingTask');
    await page.close();
  });
});
