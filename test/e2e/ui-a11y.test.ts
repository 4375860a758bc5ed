/**
 * Every view of the UI checked with axe-core (0 serious or critical violations) and, at a
 * phone's 390 px, for sideways scrolling, in a real headless Chromium against a real server
 * over the example chains.
 */
import type { Page } from 'playwright-core';
import { seriousViolations, sidewaysScroll } from './axe';
import { haveChromium } from '../helpers/browser';
import { uiHarness } from './ui-harness';

const run = haveChromium() ? describe : describe.skip;

run('accessibility and small screens', () => {
  let done = '';
  let failed = '';
  const ui = uiHarness('nectar-e2e-a11y-', async (h) => {
    done = await h.post('/api/chains/testchains/StepsTask?steps=1&ms=0');
    failed = await h.post('/api/chains/testchains/BrokenTask?reason=a11y');
    await h.settled(done);
    await h.settled(failed);
  });

  /** Each view, and what shows it is drawn. */
  const views = (): { name: string; hash: string; ready: string; then?: (page: Page) => Promise<void> }[] => [
    { name: 'catalogue', hash: '#/', ready: 'nav.catalogue' },
    { name: 'task form', hash: '#/chains/testchains/demo_chain/StepTask', ready: 'form.task-form' },
    { name: 'runs', hash: '#/runs', ready: '.runs-table' },
    { name: 'runs filtered by a task, with their strip and grid', hash: '#/runs?task=StepsTask&params=steps=1', ready: '.run-strip', then: async (page) => {
      await page.click('.grid-toggle');
      await page.waitForSelector('.grid-table');
    } },
    { name: 'run view with a task open', hash: `#/runs/${done}`, ready: 'g.node', then: async (page) => {
      await page.click('g.node[data-id*="/StepsTask/"]');
      await page.waitForSelector('.panel .facts');
      await page.waitForSelector('.task-history .history-table');
    } },
    { name: 'failed run with its stack', hash: `#/runs/${failed}`, ready: 'g.node', then: async (page) => {
      await page.click('g.node[data-id*="/FailingTask/"]');
      await page.waitForSelector('.panel pre.stack');
    } },
    { name: 'run timeline with a row pointed at and one chosen', hash: `#/runs/${done}/timeline`, ready: '.tl-row', then: async (page) => {
      await page.click('.tl-row:has-text("StepsTask") .tl-label');
      await page.hover('.tl-row .tl-bar >> nth=0');
      await page.waitForSelector('.tl-tip:not([hidden])');
    } },
    { name: 'schedules', hash: '#/schedules', ready: '.schedules-table, .empty' },
    { name: 'partitions', hash: '#/partitions?task=elections/donations_chain/CandidateCountsTask&from=2012-10-01&to=2012-10-31', ready: '.pgrid .pc' },
  ];

  for (const viewport of [{ width: 1400, height: 900 }, { width: 390, height: 844 }]) {
    test(`no serious axe-core violation and no sideways scroll on any view at ${viewport.width}×${viewport.height}`, async () => {
      const found: Record<string, string[]> = {};
      const scrolls: Record<string, string[]> = {};
      const context = await ui.browser.newContext({ viewport });
      try {
        for (const v of views()) {
          const page = await context.newPage();
          page.on('pageerror', (e) => ui.pageErrors.push(`${v.name}: ${e.message}`));
          await page.goto(`${ui.base}/${v.hash}`);
          await page.waitForSelector(v.ready);
          await v.then?.(page);
          const bad = await seriousViolations(page);
          if (bad.length) found[v.name] = bad;
          const sideways = await sidewaysScroll(page);
          if (sideways.by > 0) scrolls[v.name] = [`${sideways.by} px`, ...sideways.culprits];
          await page.close();
        }
      } finally {
        await context.close();
      }
      expect(found).toEqual({});
      if (viewport.width < 500) expect(scrolls).toEqual({});
    });
  }
});
