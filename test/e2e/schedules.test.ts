/**
 * The Schedules view in a real headless Chromium against a real server whose schedules fire on
 * a FakeClock: the row and its times, a tick fired on the server showing up at the next
 * refresh, pause and resume from the keyboard (the server agreeing), trigger-now (a run, then
 * a SKIPPED one) labelled in the runs list and the run view, an API error shown in the view,
 * and the empty state. The page runs in Europe/Berlin with en-GB formats, so times are exact.
 * Screenshots: schedules.png, runs-triggers.png, run-skipped.png (test/e2e/screenshots/).
 */
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { haveChromium, launchChromium, openBerlinPage, SCREENSHOTS, textOf } from '../helpers/browser';
import { FakeClock } from '../helpers/clock';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';

/** Yesterday's figures, every night at 02:00 UTC. */
export class DayTask extends task({ day: p.date() }, {
  schedules: [{ name: 'nightly', cron: '0 2 * * *', params: (tick) => ({ day: tick.date(-1) }), catchup: 'all', maxCatchup: 5 }],
}) {
  async run(ctx: RunContext<DayTask>) { await ctx.output.write('figures of ' + this.params.day); }
}
`;

const UNSCHEDULED = `
import { p, task, type RunContext } from 'nectar';

export class PlainTask extends task({ n: p.int({ default: 1 }) }) {
  async run(ctx: RunContext<PlainTask>) { await ctx.output.write(String(this.params.n)); }
}
`;

const KEY = 'timed/day_chain/DayTask/nightly';
const ROW = `tr[data-schedule="${KEY}"]`;
const run = haveChromium() ? describe : describe.skip;

interface RunJson {
  run_id: string;
  state: string;
  trigger: { schedule: string; manual: boolean; label: string } | null;
}

run('the Schedules view', () => {
  let browser: Browser;
  let dir: string;
  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  beforeAll(async () => {
    browser = await launchChromium();
    dir = tempDir('nectar-e2e-schedules-');
  });
  afterAll(async () => {
    await browser?.close();
    rmDir(dir);
  });

  const openPage = (url: string): Promise<Page> => openBerlinPage(browser, url, pageErrors);
  const text = textOf;
  const focused = (page: Page): Promise<string | null> => page.evaluate(() => document.activeElement?.getAttribute('data-action') ?? null);

  test('shows the schedule, follows a tick, pauses and resumes from the keyboard, and triggers runs labelled in the runs list and the run view', async () => {
    const chains = writeChains(join(dir, 'with'), { 'timed/day_chain.ts': CHAIN });
    const clock = new FakeClock('2026-06-01T01:59:50Z');
    const { srv, base } = await startTestServer(chains, join(dir, 'with'), {}, { clock });
    const nightly = async (): Promise<{ state: string; last_run: { run_id: string; state: string } | null }> => {
      const list = (await call(`${base}/api/schedules`)).body.data['schedules'] as { key: string; state: string; last_run: { run_id: string; state: string } | null }[];
      return list.find((s) => s.key === KEY) as { state: string; last_run: { run_id: string; state: string } | null };
    };
    const runs = async (): Promise<RunJson[]> => (await call(`${base}/api/runs?limit=100`)).body.data['runs'] as RunJson[];
    try {
      const page = await openPage(`${base}/#/schedules`);
      await page.waitForSelector(ROW);
      expect(await page.getAttribute('a[data-nav=schedules]', 'aria-current')).toBe('page');
      expect(await page.title()).toBe('Schedules · nectar');
      expect(await text(page, `${ROW} th code`)).toBe('timed/DayTask');
      expect(await text(page, `${ROW} th .chain`)).toBe('day_chain');
      expect(await text(page, `${ROW} .sched-name`)).toBe('nightly');
      expect(await text(page, `${ROW} .sched-cron code`)).toBe('0 2 * * *');
      expect(await text(page, `${ROW} .sched-cron .zone`)).toBe('UTC');
      expect(await text(page, `${ROW} .sched-state .badge[data-state=active]`)).toBe('● active');
      expect(await text(page, `${ROW} .sched-next`)).toBe('Mon 1 Jun, 04:00 GMT+2 (UTC: 02:00)');
      expect(await page.getAttribute(`${ROW} .sched-next time`, 'datetime')).toBe('2026-06-01T02:00:00.000Z');
      expect(await text(page, `${ROW} .sched-last`)).toBe('not yet');
      expect(await text(page, `${ROW} .sched-run`)).toBe('none yet');
      expect(await text(page, '.schedules .hint')).toContain('your time zone (Europe/Berlin)');

      // The tick fires on the server; the open page shows its run at a refresh, without a reload.
      clock.set('2026-06-01T02:00:00Z');
      await srv.schedules.poll();
      const ticked = (await runs()).find((r) => r.trigger?.schedule === 'nightly') as RunJson;
      expect(ticked.trigger).toMatchObject({ manual: false, label: 'schedule nightly' });
      await srv.runs.settled(ticked.run_id);
      await page.waitForSelector(`${ROW} .sched-run a.last-run[data-run="${ticked.run_id}"] ~ .badge[data-state=SUCCEEDED]`, { timeout: 15_000 });
      expect(await text(page, `${ROW} .sched-last`)).toBe('Mon 1 Jun, 04:00 GMT+2 (UTC: 02:00)');
      expect(await text(page, `${ROW} .sched-next`)).toBe('Tue 2 Jun, 04:00 GMT+2 (UTC: 02:00)');

      // An error answer is said in the view, and the row stays as it was.
      await page.route('**/api/schedules/**/pause', (route) =>
        route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ status: 503, message: 'the run store is unavailable', error: { code: 'STORE_UNAVAILABLE' } }) }));
      await page.click(`${ROW} button[data-action=pause]`);
      await page.waitForSelector('.sched-notice [role=alert]');
      expect(await text(page, '.sched-notice')).toBe('Could not pause timed/DayTask nightly: the run store is unavailable (STORE_UNAVAILABLE)');
      expect(await page.getAttribute(`${ROW} .sched-state .badge`, 'data-state')).toBe('active');
      await page.unroute('**/api/schedules/**/pause');

      // Pause with Enter: the badge and the button change, the focus stays on it, the server agrees.
      const toggle = `${ROW} button[data-action=pause]`;
      expect(await page.getAttribute(toggle, 'aria-label')).toBe('Pause timed/DayTask nightly');
      await page.focus(toggle);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`${ROW} .sched-state .badge[data-state=paused]`);
      expect(await text(page, `${ROW} .sched-state`)).toBe('‖ paused');
      expect(await text(page, `${ROW} button[data-action=resume]`)).toBe('Resume');
      expect(await page.getAttribute(`${ROW} button[data-action=resume]`, 'aria-label')).toBe('Resume timed/DayTask nightly');
      expect(await focused(page)).toBe('resume');
      expect(await text(page, '.sched-notice [role=status]')).toBe('Paused timed/DayTask nightly');
      expect(await text(page, `${ROW} .sched-next`)).toBe('none while paused');
      expect((await nightly()).state).toBe('paused');

      // Resume with Space, the same way back.
      await page.keyboard.press('Space');
      await page.waitForSelector(`${ROW} .sched-state .badge[data-state=active]`);
      expect(await focused(page)).toBe('pause');
      expect(await text(page, '.sched-notice')).toBe('Resumed timed/DayTask nightly');
      expect((await nightly()).state).toBe('active');

      // Trigger now on the 2nd: yesterday is the 1st, not made yet, so a run starts.
      clock.set('2026-06-02T01:00:00Z');
      await page.click(`${ROW} button[data-action=trigger]`);
      await page.waitForSelector('.sched-notice a.triggered-run');
      expect(await text(page, '.sched-notice')).toBe('Triggered timed/DayTask nightly: run started. See the run');
      expect(await focused(page)).toBe('trigger');
      const manual = ((await page.getAttribute('.sched-notice a.triggered-run', 'href')) ?? '').replace('#/runs/', '');
      await srv.runs.settled(manual);

      // Again: the 1st is complete now, so the trigger is recorded as a SKIPPED run.
      await page.click(`${ROW} button[data-action=trigger]`);
      await page.waitForSelector('.sched-notice:has-text("skipped")');
      expect(await text(page, '.sched-notice')).toBe('Triggered timed/DayTask nightly: skipped, already complete. See the run');
      expect(await focused(page)).toBe('trigger');
      const skipped = ((await page.getAttribute('.sched-notice a.triggered-run', 'href')) ?? '').replace('#/runs/', '');
      expect(skipped).not.toBe(manual);
      expect((await call(`${base}/api/runs/${skipped}`)).body.data['state']).toBe('SKIPPED');
      await page.screenshot({ path: join(SCREENSHOTS, 'schedules.png') });

      // Leaving the view stops its refresh (counted from here on).
      let refreshes = 0;
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/schedules') refreshes++;
      });

      // The SKIPPED run's view: its trigger in the head, why nothing ran, no retry.
      await page.click('.sched-notice a.triggered-run');
      await page.waitForURL(new RegExp(`#/runs/${skipped}$`));
      await page.waitForSelector('.run-head .badge[data-state=SKIPPED]');
      expect(await text(page, '.run-head .run-trigger')).toBe('◷ schedule nightly (triggered by hand)');
      expect(await text(page, '.run-head .skipped-note')).toContain('already complete');
      expect(await page.isDisabled('button[data-action=retry]')).toBe(true);
      expect(await page.isDisabled('button[data-action=cancel]')).toBe(true);
      await page.waitForSelector('.graph-wait:has-text("Nothing ran")');
      await page.screenshot({ path: join(SCREENSHOTS, 'run-skipped.png') });

      // The runs list labels each run with its trigger.
      await page.click('a[data-nav=runs]');
      await page.waitForSelector(`.runs-table tr[data-run="${skipped}"]`);
      expect(await text(page, `.runs-table tr[data-run="${ticked.run_id}"] .tag.trigger`)).toBe('◷ schedule nightly');
      expect(await text(page, `.runs-table tr[data-run="${manual}"] .tag.trigger`)).toBe('◷ schedule nightly (triggered by hand)');
      expect(await text(page, `.runs-table tr[data-run="${skipped}"] .tag.trigger`)).toBe('◷ schedule nightly (triggered by hand)');
      expect(await page.getAttribute(`.runs-table tr[data-run="${skipped}"] .badge`, 'data-state')).toBe('SKIPPED');
      expect(await text(page, `.runs-table tr[data-run="${skipped}"] td:last-child`)).toBe('nothing ran');
      await page.screenshot({ path: join(SCREENSHOTS, 'runs-triggers.png') });
      // The runs list refreshes after 5 s: by then the Schedules view (every 4 s) would have too.
      await page.waitForRequest((r) => new URL(r.url()).pathname === '/api/runs', { timeout: 15_000 });
      expect(refreshes).toBe(0);

      // Back to the schedules: the last run's link opens the run view, whose head says what started it.
      await page.click('a[data-nav=schedules]');
      await page.click(`${ROW} a.last-run[data-run="${ticked.run_id}"]`);
      await page.waitForURL(new RegExp(`#/runs/${ticked.run_id}$`));
      await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]');
      expect(await text(page, '.run-head h1')).toBe('timed/day_chain/DayTask');
      expect(await text(page, '.run-head .run-trigger')).toBe('◷ schedule nightly');
      expect(await page.isDisabled('button[data-action=retry]')).toBe(true);
      await page.context().close();
    } finally {
      await srv.close();
    }
  });

  test('with no task declaring a schedule, the view says so and where to read about them', async () => {
    const chains = writeChains(join(dir, 'without'), { 'plain/plain_chain.ts': UNSCHEDULED });
    const { srv, base } = await startTestServer(chains, join(dir, 'without'));
    try {
      const page = await openPage(`${base}/#/schedules`);
      await page.waitForSelector('.schedules .empty');
      expect(await text(page, '.schedules .empty')).toContain('No task declares a schedule.');
      expect(await text(page, '.schedules .empty')).toContain('“Schedules”');
      await page.context().close();
    } finally {
      await srv.close();
    }
  });
});
