/**
 * The Partitions view in a real headless Chromium against a real server over a daily task
 * that fails for a few marked days: a year of days backfilled up to September (some FAILED,
 * the rest of the year MISSING), the cells' states and symbols agreeing with
 * GET /api/partitions, the keyboard (one Tab stop, arrow keys, Enter), a DONE cell opening its
 * run, a MISSING one offering to start it, "Start the missing and failed" posting exactly those
 * values and the cells turning DONE as the backfill runs, a bad range and a missing parameter
 * said by their fields, ten years of days, other steps, and the deadline flag (stubbed: the
 * server has no deadlines yet). Screenshots: partitions.png (docs/partitions-grid.png is a
 * copy of it), partitions-10y.png (test/e2e/screenshots/).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openBerlinPage, SCREENSHOTS, textOf } from '../helpers/browser';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const CHAIN = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { p, task, type RunContext } from 'nectar';

/** A day's figures; fails while a marker for its day is in the broken folder, waits while a gate is there. */
export class DayTask extends task({ day: p.date(), broken: p.string() }) {
  async run(ctx: RunContext<DayTask>) {
    while (existsSync(join(this.params.broken, 'gate'))) await new Promise((r) => setTimeout(r, 10));
    if (existsSync(join(this.params.broken, this.params.day))) throw new Error('broken day ' + this.params.day);
    await ctx.output.write('figures of ' + this.params.day);
  }
}

/** Not offered by the view: it has no date parameter. */
export class PlainTask extends task({ n: p.int({ default: 1 }) }) {
  async run(ctx: RunContext<PlainTask>) { await ctx.output.write(String(this.params.n)); }
}
`;

const TASK = 'sales/day_chain/DayTask';
const BAD = ['2025-02-14', '2025-04-01', '2025-05-20', '2025-07-04', '2025-09-09'];
const SYMBOL: Record<string, string> = { DONE: '✓', STALE: '≈', FAILED: '✗', RUNNING: '▶', MISSING: '○' };
const run = haveChromium() ? describe : describe.skip;

interface Part { value: string; state: string; task_id: string; run_id: string | null; deadline_missed: boolean }
interface Answer { task: string; over: string; range: string; params: Record<string, unknown>; counts: Record<string, number>; partitions: Part[] }
interface Cell { i: number; state: string; symbol: string; title: string; label: string; flag: boolean }

run('the Partitions view', () => {
  let browser: Browser;
  let dir: string;
  let broken: string;
  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  beforeAll(async () => {
    browser = await launchChromium();
    dir = tempDir('nectar-e2e-partitions-');
    broken = join(dir, 'broken');
    mkdirSync(broken);
  });
  afterAll(async () => {
    await browser?.close();
    rmDir(dir);
  });

  const openPage = (url: string): Promise<Page> => openBerlinPage(browser, url, pageErrors);
  const text = textOf;
  const cells = (page: Page): Promise<Cell[]> =>
    page.$$eval('.pgrid .pc[data-i]', (els) => els.map((e) => ({
      i: Number(e.getAttribute('data-i')), state: e.getAttribute('data-state') ?? '', symbol: e.textContent ?? '', title: e.getAttribute('title') ?? '',
      label: e.getAttribute('aria-label') ?? '', flag: e.hasAttribute('data-deadline'),
    })).sort((a, b) => a.i - b.i));
  const focusedCell = (page: Page): Promise<number | null> => page.evaluate(() => {
    const i = document.activeElement?.getAttribute('data-i');
    return i === null || i === undefined ? null : Number(i);
  });
  const count = (page: Page, state: string): Promise<string> => text(page, `.pt-legend [data-state=${state}] .count`);
  const hash = (from: string, to: string, extra = ''): string => `#/partitions?task=${encodeURIComponent(TASK)}&from=${from}&to=${to}&broken=${encodeURIComponent(broken)}${extra}`;

  /** The cells agree with the API: one per partition, in order, with its state, symbol and title. */
  const agree = async (page: Page, answer: Answer): Promise<void> => {
    const shown = await cells(page);
    expect(shown.map((c) => c.i)).toEqual(answer.partitions.map((_, i) => i));
    expect(shown.map((c) => c.state)).toEqual(answer.partitions.map((p) => p.state));
    expect(shown.map((c) => c.symbol)).toEqual(answer.partitions.map((p) => SYMBOL[p.state]));
    shown.forEach((c, i) => {
      const p = answer.partitions[i] as Part;
      expect(c.title).toContain(`${p.value}: ${p.state.toLowerCase()}`);
      expect(c.label).toBe(c.title);
      expect(c.flag).toBe(false);
      expect(c.title).not.toContain('deadline');
    });
    for (const s of ['DONE', 'FAILED', 'RUNNING', 'MISSING']) expect(await count(page, s)).toBe(String(answer.counts[s]));
    expect(await count(page, 'deadline')).toBe('0');
  };

  test('a year of days: states as the API says, the keyboard, runs opened, the missing and failed started, errors by their fields', async () => {
    const chains = writeChains(join(dir, 'year'), { 'sales/day_chain.ts': CHAIN });
    const { srv, base } = await startTestServer(chains, join(dir, 'year'));
    const partitions = async (from: string, to: string): Promise<Answer> =>
      (await call(`${base}/api/partitions/sales/day_chain/DayTask?from=${from}&to=${to}&broken=${encodeURIComponent(broken)}`)).body.data as unknown as Answer;
    try {
      for (const d of BAD) writeFileSync(join(broken, d), '');
      const seeded = await call(`${base}/api/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: TASK, from: '2025-01-01', to: '2025-09-30', params: { broken }, concurrency: 8 }) });
      expect(seeded.status).toBe(202);
      await srv.backfills.settled(seeded.body.data['backfill_id'] as string);
      const year = await partitions('2025-01-01', '2025-12-31');
      expect(year.counts).toEqual({ DONE: 268, STALE: 0, FAILED: 5, RUNNING: 0, MISSING: 92 });

      const page = await openPage(`${base}/${hash('2025-01-01', '2025-12-31')}`);
      await page.waitForSelector('.pgrid[data-paint-at]');
      expect(await page.getAttribute('a[data-nav=partitions]', 'aria-current')).toBe('page');
      expect(await page.title()).toBe('Partitions · nectar');
      // The form says what is shown; only the task with a date parameter is offered.
      expect(await page.$$eval('#pt-task option', (os) => os.map((o) => o.textContent))).toEqual([TASK]);
      expect(await page.inputValue('#pt-from')).toBe('2025-01-01');
      expect(await page.inputValue('#pt-to')).toBe('2025-12-31');
      expect(await page.inputValue('#param-broken')).toBe(broken);
      expect(await page.isHidden('[data-range=over]')).toBe(true);
      expect(await text(page, '.pt-summary')).toContain(`${TASK} over day, 2025-01-01..2025-12-31 by day: 365 partitions`);
      await agree(page, year);
      // A calendar: a band for 2025, weekdays as rows, Monday first; 1 January 2025 is a Wednesday.
      expect(await page.$$eval('.pgrid .pband', (bs) => bs.map((b) => b.getAttribute('aria-label')))).toEqual(['2025']);
      expect(await page.$$eval('.pband .prow', (rs) => rs.length)).toBe(7);
      expect(await page.getAttribute('.pc[data-i="0"]', 'title')).toBe('Wed 2025-01-01: done');
      expect(await page.$eval('.pc[data-i="0"]', (e) => Array.from(e.parentElement?.parentElement?.querySelectorAll('.prow') ?? []).indexOf(e.parentElement as Element))).toBe(2);
      expect(await page.$$eval('.pband .phead .pcol', (cs) => cs.map((c) => c.textContent).filter(Boolean))).toEqual(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
      expect(await page.getAttribute('.pc[data-i="44"]', 'title')).toBe('Fri 2025-02-14: failed');
      expect(await text(page, 'button.start-missing')).toBe('Start the 92 missing and 5 failed');
      expect(Number(await page.getAttribute('.pgrid', 'data-cells'))).toBe(365);
      await page.locator('section.partitions').screenshot({ path: join(SCREENSHOTS, 'partitions.png') });

      // One Tab stop: a single cell is tabbable; arrows move a roving focus (days: up/down a day, left/right a week).
      expect(await page.$$eval('.pgrid [tabindex]', (es) => es.map((e) => [e.getAttribute('data-i'), e.getAttribute('tabindex')]))).toEqual([['0', '0']]);
      await page.focus('button.start-missing');
      await page.keyboard.press('Tab');
      expect(await focusedCell(page)).toBe(0);
      await page.keyboard.press('ArrowDown');
      expect(await focusedCell(page)).toBe(1);
      await page.keyboard.press('ArrowRight');
      expect(await focusedCell(page)).toBe(8);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowUp');
      expect(await focusedCell(page)).toBe(0);
      await page.keyboard.press('End');
      expect(await focusedCell(page)).toBe(364);
      expect(await text(page, '.pt-detail strong')).toBe('○ Wed 2025-12-31: missing');
      await page.keyboard.press('Home');
      expect(await page.$$eval('.pgrid [tabindex]', (es) => es.map((e) => e.getAttribute('data-i')))).toEqual(['0']);
      await page.keyboard.press('Shift+Tab');
      expect(await focusedCell(page)).toBe(null);
      await page.keyboard.press('Tab');
      expect(await focusedCell(page)).toBe(0);

      // Enter on a DONE cell opens its run; back, the URL reopens the same grid.
      await page.keyboard.press('Enter');
      const first = year.partitions[0] as Part;
      await page.waitForURL(new RegExp(`#/runs/${first.run_id}$`));
      await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]');
      expect(await text(page, '.run-head h1')).toBe(TASK);
      await page.goBack();
      await page.waitForSelector('.pgrid[data-paint-at]');
      expect(await page.inputValue('#pt-to')).toBe('2025-12-31');
      await agree(page, year);

      // A click on a FAILED cell opens its (failed) run.
      const failed = year.partitions[44] as Part;
      await page.click('.pc[data-i="44"]');
      await page.waitForURL(new RegExp(`#/runs/${failed.run_id}$`));
      await page.waitForSelector('.run-head .badge[data-state=FAILED]');
      await page.goBack();
      await page.waitForSelector('.pgrid[data-paint-at]');

      // A MISSING cell has no run: it offers to start it.
      await page.click('.pc[data-i="300"]');
      expect(await page.evaluate(() => document.activeElement?.className)).toBe('start-one');
      expect(await text(page, '.pt-detail button.start-one')).toBe('Start 2025-10-28');
      expect(await text(page, '.pt-detail')).toContain('never run');
      expect(page.url()).toContain('#/partitions?');

      // Start the missing and failed: one backfill of exactly those values; the cells turn DONE as it runs.
      rmSync(join(broken, '2025-04-01'));
      writeFileSync(join(broken, 'gate'), '');
      const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/backfills');
      await page.click('button.start-missing');
      const body = JSON.parse((await posted).postData() ?? '{}') as { task: string; over: string; values: string[]; params: Record<string, unknown> };
      expect(body).toEqual({ task: TASK, over: 'day', params: { broken }, values: year.partitions.filter((p) => p.state === 'MISSING' || p.state === 'FAILED').map((p) => p.value) });
      await page.waitForSelector('.pt-notice [role=status]:has-text("Started backfill")');
      expect(await text(page, '.pt-notice')).toMatch(/^Started backfill [0-9a-f]{8} of the missing and failed partitions: 97 partitions, 4 at a time\.$/);
      expect(await page.getAttribute('button.start-missing', 'aria-disabled')).toBe('true');
      expect(await text(page, '.pt-progress')).toMatch(/^Backfill [0-9a-f]{8}: 0 of 97 done, 0 failed, \d running\.$/);
      // Held at the gate: four partitions in flight show as running (at the next refresh), as the API says.
      await page.waitForFunction(() => document.querySelector('.pt-legend [data-state=RUNNING] .count')?.textContent === '4', undefined, { timeout: 15_000 });
      await agree(page, await partitions('2025-01-01', '2025-12-31'));
      expect(await page.$$eval('.pc[data-state=RUNNING]', (es) => es.map((e) => e.textContent))).toEqual(['▶', '▶', '▶', '▶']);
      rmSync(join(broken, 'gate'));
      const list = (await call(`${base}/api/backfills`)).body.data['backfills'] as Array<{ backfill_id: string }>;
      await srv.backfills.settled((list[0] as { backfill_id: string }).backfill_id);
      await page.waitForFunction(() => document.querySelector('.pt-legend [data-state=DONE] .count')?.textContent === '361', undefined, { timeout: 20_000 });
      await page.waitForSelector('.pt-notice:has-text("failed: 93 done, 4 failed.")', { timeout: 10_000 });
      const after = await partitions('2025-01-01', '2025-12-31');
      expect(after.counts).toEqual({ DONE: 361, STALE: 0, FAILED: 4, RUNNING: 0, MISSING: 0 });
      await agree(page, after);
      expect(await text(page, 'button.start-missing')).toBe('Start the 4 failed');
      expect(await page.getAttribute('button.start-missing', 'aria-disabled')).toBe('false');

      // A bad range: the API's BAD_RANGE next to the form, the field it names marked.
      await page.fill('#pt-from', '2025-12-31');
      await page.fill('#pt-to', '2025-01-01');
      await page.click('.pt-form button[type=submit]');
      await page.waitForSelector('.pt-result [role=alert]');
      expect(await text(page, '.pt-result')).toBe("BAD_RANGE: the range is inverted: 'from' 2025-12-31 is after 'to' 2025-01-01");
      expect(await page.getAttribute('#pt-to', 'aria-invalid')).toBe('true');
      expect(await page.$('.pgrid')).toBeNull();
      // A required parameter left empty: said by its field, nothing asked of the server.
      await page.fill('#pt-from', '2025-01-01');
      await page.fill('#param-broken', '');
      let asked = 0;
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/api/partitions/')) asked++;
      });
      await page.click('.pt-form button[type=submit]');
      expect(await text(page, '#err-broken')).toBe('required parameter is missing');
      expect(await page.getAttribute('#param-broken', 'aria-invalid')).toBe('true');
      expect(asked).toBe(0);
      await page.context().close();

      // Ten years of days, by the URL: a band per year, 3,650 cells.
      const ten = await openPage(`${base}/${hash('2016-01-04', '2025-12-31')}`);
      await ten.waitForSelector('.pgrid[data-paint-at]', { timeout: 30_000 });
      expect(await ten.$$eval('.pgrid .pc[data-i]', (es) => es.length)).toBe(3650);
      expect(await ten.$$eval('.pgrid .pband', (bs) => bs.map((b) => b.getAttribute('aria-label')))).toEqual(['2016', '2017', '2018', '2019', '2020', '2021', '2022', '2023', '2024', '2025']);
      expect(await count(ten, 'DONE')).toBe('361');
      // Page Down: the same weekday 52 weeks on.
      await ten.focus('.pc[tabindex="0"]');
      await ten.keyboard.press('PageDown');
      expect(await ten.getAttribute(`.pc[data-i="${await focusedCell(ten)}"]`, 'title')).toBe('Mon 2017-01-02: missing');
      await ten.screenshot({ path: join(SCREENSHOTS, 'partitions-10y.png'), fullPage: true });

      // By month: a row per year, a column per month.
      await ten.selectOption('#pt-step', 'month');
      await ten.fill('#pt-from', '2024-01-01');
      await ten.fill('#pt-to', '2025-12-01');
      await ten.click('.pt-form button[type=submit]');
      await ten.waitForFunction(() => document.querySelector('.pgrid')?.classList.contains('step-month') && document.querySelector('.pgrid[data-paint-at]'));
      expect(ten.url()).toContain('step=month');
      expect(await ten.$$eval('.pgrid .prow', (rs) => rs.map((r) => [r.querySelector('.plabel')?.textContent, r.querySelectorAll('.pc[data-i]').length]))).toEqual([['2024', 12], ['2025', 12]]);
      expect(await ten.getAttribute('.pc[data-i="20"]', 'title')).toBe('2025-09-01: done');
      await ten.focus('.pc[tabindex="0"]');
      await ten.keyboard.press('ArrowDown');
      expect(await focusedCell(ten)).toBe(12);
      await ten.context().close();
    } finally {
      await srv.close();
    }
  });

  test('opened bare, it defaults to the last 365 days and asks for the required parameters; a missed deadline shows a flag', async () => {
    const chains = writeChains(join(dir, 'bare'), { 'sales/day_chain.ts': CHAIN });
    const { srv, base } = await startTestServer(chains, join(dir, 'bare'));
    try {
      const page = await openPage(`${base}/#/partitions`);
      await page.waitForSelector('#pt-from');
      const today = await page.evaluate(() => {
        const d = new Date();
        const from = new Date(d.getFullYear(), d.getMonth(), d.getDate() - 364);
        const ymd = (x: Date): string => `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`;
        return { from: ymd(from), to: ymd(d) };
      });
      expect(await page.inputValue('#pt-from')).toBe(today.from);
      expect(await page.inputValue('#pt-to')).toBe(today.to);
      expect(await text(page, '.pt-body')).toBe(`Fill in ${TASK}'s parameters and press Show.`);

      // The server has no deadlines yet: a stubbed answer with two missed ones shows their flags and counts them.
      await page.route('**/api/partitions/**', async (route) => {
        const res = await route.fetch();
        const json = (await res.json()) as { data: Answer };
        (json.data.partitions[3] as Part).deadline_missed = true;
        (json.data.partitions[9] as Part).deadline_missed = true;
        await route.fulfill({ response: res, json });
      });
      await page.fill('#param-broken', broken);
      await page.fill('#pt-from', '2025-03-01');
      await page.fill('#pt-to', '2025-03-31');
      await page.click('.pt-form button[type=submit]');
      await page.waitForSelector('.pgrid[data-paint-at]');
      expect(page.url()).toContain(`#/partitions?task=${encodeURIComponent(TASK)}&from=2025-03-01&to=2025-03-31&over=day&broken=`);
      expect((await cells(page)).filter((c) => c.flag).map((c) => c.title)).toEqual(['Tue 2025-03-04: missing, deadline missed', 'Mon 2025-03-10: missing, deadline missed']);
      expect(await count(page, 'deadline')).toBe('2');
      expect(await page.$$eval('.pc[data-i]', (es) => es.length)).toBe(31);
      expect(await page.getAttribute('.pgrid', 'class')).toContain('size-l');
      await page.screenshot({ path: join(SCREENSHOTS, 'partitions-month.png') });
      await page.context().close();
    } finally {
      await srv.close();
    }
  });
});
