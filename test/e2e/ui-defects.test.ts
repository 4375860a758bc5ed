/**
 * Defects found by hand in the UI (issue "The UI a data engineer lives in"), each reproduced
 * in a real headless Chromium against a real server over the example chains, then fixed.
 */
import type { Page } from 'playwright-core';
import { haveChromium } from '../helpers/browser';
import { call } from '../helpers/server';
import { uiHarness } from './ui-harness';

const run = haveChromium() ? describe : describe.skip;

run('UI defects, fixed', () => {
  const ui = uiHarness('nectar-e2e-defects-');
  const post = (path: string): Promise<string> => ui.post(path);
  const settled = (runId: string): Promise<string> => ui.settled(runId);
  let base = '';
  beforeAll(() => {
    base = ui.base;
  });

  const openPage = async (hash: string, viewport = { width: 1400, height: 900 }): Promise<Page> => {
    const context = await ui.browser.newContext({ viewport, timezoneId: 'Asia/Kolkata', locale: 'en-GB' });
    const page = await context.newPage();
    page.on('pageerror', (e) => ui.pageErrors.push(e.message));
    await page.goto(`${base}/${hash}`);
    return page;
  };
  const closePage = (page: Page): Promise<void> => page.context().close();

  test('the Run button keeps a readable label on hover', async () => {
    const page = await openPage('#/chains/testchains/demo_chain/StepTask');
    await page.hover('form.task-form button[type=submit]');
    const [fg, bg] = await page.$eval('form.task-form button[type=submit]', (b) => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]);
    expect(fg).toBe('rgb(255, 255, 255)');
    expect(bg).not.toBe('rgb(248, 249, 250)');
    expect(bg).not.toBe('rgb(255, 255, 255)');
    await closePage(page);
  });

  test('a form lists parameters in declaration order and shows and sets a date’s limits', async () => {
    const page = await openPage('#/chains/testchains/demo_chain/StepTask');
    await page.waitForSelector('form.task-form');
    expect(await page.$$eval('form.task-form .field', (fs) => fs.map((f) => f.getAttribute('data-param')))).toEqual(['stage', 'steps', 'ms']);
    await page.goto(`${base}/#/chains/elections/donations_chain/CandidateCountsTask`);
    await page.waitForSelector('#param-day');
    expect(await page.getAttribute('#param-day', 'min')).toBe('2012-01-01');
    expect(await page.getAttribute('#param-day', 'max')).toBe('2012-12-31');
    expect(await page.textContent('[data-param="day"] .hint')).toContain('≥ 2012-01-01, ≤ 2012-12-31');
    await closePage(page);
  });

  test('#/chains/<type>/<Task>, the CLI’s name for a task, opens that task', async () => {
    const page = await openPage('#/chains/testchains/StepsTask');
    await page.waitForSelector('form.task-form');
    expect(await page.textContent('form.task-form h2')).toBe('StepsTask');
    expect(await page.evaluate(() => location.hash)).toBe('#/chains/testchains/demo_chain/StepsTask');
    expect(await page.getAttribute('a[data-task="testchains/demo_chain/StepsTask"]', 'aria-current')).toBe('page');
    await closePage(page);
  });

  test('the "Already complete" notice keeps the task id inside its box, and the search placeholder fits its field', async () => {
    await settled(await post('/api/chains/testchains/HelloTask?name=a-rather-long-name-for-a-notice'));
    const page = await openPage('#/chains/testchains/hello_chain/HelloTask', { width: 1024, height: 768 });
    await page.fill('#param-name', 'a-rather-long-name-for-a-notice');
    await page.click('form.task-form button[type=submit]');
    await page.waitForSelector('.notice.ok code');
    const fits = await page.$eval('.notice.ok', (n) => {
      const box = n.getBoundingClientRect();
      const code = (n.querySelector('code') as HTMLElement).getBoundingClientRect();
      return code.right <= box.right + 0.5 && n.scrollWidth <= n.clientWidth;
    });
    expect(fits).toBe(true);

    const runId = await post('/api/chains/testchains/HelloTask?name=search-field');
    await settled(runId);
    await page.goto(`${base}/#/runs/${runId}`);
    await page.waitForSelector('#graph-search');
    const placeholderFits = await page.$eval('#graph-search', (el) => {
      const input = el as HTMLInputElement;
      const cs = getComputedStyle(input);
      const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      return ctx.measureText(input.placeholder).width <= room;
    });
    expect(placeholderFits).toBe(true);
    await closePage(page);
  });

  test('log times are the reader’s local time, and the panel says which zone', async () => {
    const runId = await post('/api/chains/testchains/StepTask?stage=extract&steps=1&ms=0');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    await page.click('g.node[data-id*="/StepTask/"]');
    await page.waitForSelector('.panel pre.log .log-line');
    const id = (await page.getAttribute('g.node[data-id*="/StepTask/"]', 'data-id')) as string;
    const log = (await call(`${base}/api/tasks/${id}/log`)).body.data['lines'] as unknown[];
    const first = log.map((l) => (typeof l === 'string' ? JSON.parse(l) : l) as { time: string | number; msg: string }).find((l) => l.msg.includes('step 1'));
    expect(first).toBeDefined();
    // Asia/Kolkata is UTC+05:30 all year: the local time of the line, to the millisecond.
    const at = new Date(new Date(first?.time ?? 0).getTime() + 5.5 * 3600_000).toISOString().slice(11, 23);
    const lines = await page.$$eval('.panel pre.log .log-line', (ls) => ls.map((l) => l.textContent ?? ''));
    expect(lines.find((l) => l.includes('step 1'))?.startsWith(at)).toBe(true);
    // Chromium may name the zone by its older alias.
    expect(await page.textContent('.panel .zone-note')).toMatch(/Asia\/(Kolkata|Calcutta), UTC\+05:30/);
    await closePage(page);
  });

  test('a cancelled task is not shown as a crash: no error box, no nectar stack', async () => {
    const runId = await post('/api/chains/testchains/StepsTask?steps=200&ms=100');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('g.node[data-state=RUNNING]');
    expect((await call(`${base}/api/runs/${runId}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
    await page.waitForSelector('.run-head .badge[data-state=CANCELLED]', { timeout: 30_000 });
    const cancelled = await page.$$eval('g.node[data-state=CANCELLED]', (ns) => ns.map((n) => n.getAttribute('data-id') as string));
    expect(cancelled.length).toBeGreaterThan(0);
    for (const id of cancelled) {
      await page.click(`g.node[data-id="${id}"]`);
      await page.waitForSelector('.panel .cancel-note');
      expect(await page.$('.panel .error-box')).toBeNull();
      expect(await page.textContent('.panel')).not.toContain('Scheduler.cancel');
    }
    await closePage(page);
  });

  test('an upstream-failed task’s panel asks for no log and says it never ran', async () => {
    const runId = await post('/api/chains/testchains/BrokenTask?reason=never-ran');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/BrokenTask/') && r.url().endsWith('/log')) asked.push(r.url());
    });
    await page.click('g.node[data-id*="/BrokenTask/"][data-state=UPSTREAM_FAILED]');
    await page.waitForSelector('.panel pre.log');
    expect(await page.textContent('.panel pre.log')).toContain('never ran');
    expect(asked).toEqual([]);
    await closePage(page);
  });

  test('the family panel follows its toggle: Expand, then Collapse', async () => {
    const runId = await post('/api/chains/testchains/WideTask?n=400');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    await page.click('g.node.family');
    await page.waitForSelector('.panel .toggle-family');
    expect(await page.textContent('.panel .toggle-family')).toBe('Expand family in the graph');
    await page.click('.panel .toggle-family');
    await page.waitForSelector('.panel .toggle-family:text("Collapse family into one node")');
    await page.waitForFunction(() => document.querySelectorAll('g.node.task').length > 400);
    await page.click('.panel .toggle-family');
    await page.waitForSelector('g.node.family');
    expect(await page.textContent('.panel .toggle-family')).toBe('Expand family in the graph');
    await closePage(page);
  });
  test('node labels are cut at their box’s edge, not spilling out of it', async () => {
    const name = 'a-parameter-value-far-too-long-for-any-node-box-to-hold';
    const runId = await post(`/api/chains/testchains/ShoutTask?name=${name}`);
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('g.node[data-id*="/ShoutTask/"]');
    const spills = await page.$$eval('g.node.task', (nodes) => nodes.flatMap((n) => {
      const box = (n.querySelector('rect.box') as Element).getBoundingClientRect();
      return [...n.querySelectorAll('.name, .sub')]
        .filter((t) => t.getBoundingClientRect().right > box.right)
        .map((t) => `${t.textContent} sticks out by ${(t.getBoundingClientRect().right - box.right).toFixed(1)} px`);
    }));
    expect(spills).toEqual([]);
    const sub = ((await page.textContent('g.node[data-id*="/ShoutTask/"] .sub')) ?? '').trim();
    expect(sub).toMatch(/^name=a-parameter.*…$/);
    // Its accessible name has what it shows, then the parameter in full.
    const label = (await page.getAttribute('g.node[data-id*="/ShoutTask/"]', 'aria-label')) ?? '';
    expect(label.startsWith('ShoutTask ')).toBe(true);
    expect(label).toContain(` ${sub}`);
    expect(label).toContain(`in full: ShoutTask name=${name}`);
    await closePage(page);
  });
  test('keyboard: the runs filter keeps focus, a started run takes it, the families menu closes on Escape and outside, a skip link, one Tab stop per family', async () => {
    await settled(await post('/api/chains/testchains/HelloTask?name=keyboard'));
    const page = await openPage('#/runs');
    await page.waitForSelector('.runs-table');
    await page.focus('#state-filter');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => location.hash.includes('state='));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('state-filter');

    // The skip link is the first Tab stop of a page and moves focus to the view.
    await page.reload();
    await page.waitForSelector('.runs-table, .runs .empty');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('app');

    await page.goto(`${base}/#/chains/testchains/hello_chain/HelloTask`);
    await page.waitForSelector('form.task-form');

    // Starting a run from the keyboard: focus lands on the run's title.
    await page.fill('#param-name', 'keyboard-start');
    await page.focus('form.task-form button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.run-head h1');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');

    const wide = await post('/api/chains/testchains/WideTask?n=401');
    await settled(wide);
    await page.goto(`${base}/#/runs/${wide}?expand=all`);
    await page.waitForFunction(() => document.querySelectorAll('g.node.task').length > 400);
    // 402 tasks, two Tab stops in the graph: the root and the first LeafTask; arrows go from member to member.
    expect(await page.$$eval('g.node[tabindex="0"]', (ns) => ns.length)).toBe(2);
    const first = (await page.getAttribute('g.node[data-id*="/LeafTask/"][tabindex="0"]', 'data-id')) as string;
    await page.focus(`g.node[data-id="${first}"]`);
    await page.keyboard.press('ArrowRight');
    const next = await page.evaluate(() => document.activeElement?.getAttribute('data-id'));
    expect(next).toContain('/LeafTask/');
    expect(next).not.toBe(first);
    expect(await page.getAttribute(`g.node[data-id="${next}"]`, 'tabindex')).toBe('0');
    expect(await page.$$eval('g.node[tabindex="0"]', (ns) => ns.length)).toBe(2);

    await page.click('.families-menu summary');
    expect(await page.$eval('.families-menu', (d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.$eval('.families-menu', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.click('.families-menu summary');
    await page.click('.run-head h1');
    expect(await page.$eval('.families-menu', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    await closePage(page);
  });

  test('the SVG export leaves out the selection and search hits', async () => {
    const runId = await post('/api/chains/testchains/ShoutTask?name=export');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    await page.click('g.node[data-id*="/ShoutTask/"]');
    await page.fill('#graph-search', 'Hello');
    await page.waitForSelector('g.node.hit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action=export-svg]')]);
    const svg = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks as Buffer[]).toString('utf8'));
    expect(svg).toContain('data-id=');
    expect(svg).not.toMatch(/class="[^"]*\b(selected|hit)\b/);
    await closePage(page);
  });
  test('at 390 px, tapping a node brings its panel into view, and nothing scrolls sideways', async () => {
    const runId = await post('/api/chains/testchains/ShoutTask?name=phone');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`, { width: 390, height: 844 });
    await page.tap('g.node[data-id*="/ShoutTask/"]').catch(() => page.click('g.node[data-id*="/ShoutTask/"]'));
    await page.waitForSelector('.panel h2:text("ShoutTask")');
    const top = await page.$eval('.panel', (p) => p.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(-1);
    expect(top).toBeLessThan(844 / 2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await closePage(page);
  });
  test('finished tasks show how long they ran; a family shows its counts and the spread of its durations', async () => {
    const runId = await post('/api/chains/testchains/StepsTask?steps=2&ms=5');
    await settled(runId);
    const page = await openPage(`#/runs/${runId}`);
    const root = page.locator('g.node[data-id*="/StepsTask/"]');
    await root.waitFor();
    expect(((await root.locator('.dur').textContent()) ?? '').trim()).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    // The duration is part of what the node says.
    expect(await root.getAttribute('aria-label')).toMatch(/^StepsTask \d+(\.\d+)? (ms|s) ms=5 steps=2: done$/);
    // The three StepTasks, collapsed into their family: counts, and the shortest and longest run.
    await page.click('.families-menu summary');
    await page.click('.families-menu button[data-family$="/StepTask"]');
    const family = page.locator('g.node.family[data-family$="/StepTask"]');
    await family.waitFor();
    expect(((await family.locator('.counts').textContent()) ?? '').trim()).toBe('✓ 3');
    expect(((await family.locator('.dur').textContent()) ?? '').trim()).toMatch(/^\d+(\.\d+)? (ms|s)(–\d+(\.\d+)? (ms|s))?$/);
    await closePage(page);
  });

  test('a state in the legend highlights its tasks; a family panel lists failures first, grouped by error', async () => {
    const runId = await post('/api/chains/testchains/AuditTask?n=60');
    expect(await settled(runId)).toBe('FAILED');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('g.node[data-id*="/CheckTask/"][data-state=FAILED]');
    await page.click('.legend li[data-state=FAILED] button');
    await page.waitForSelector('g.node.hit');
    // i % 7 == 3 (9 of 60) fail on a checksum, i % 11 == 5 (4 more) on a missing file.
    expect(await page.$$eval('g.node.hit', (ns) => ns.map((n) => n.getAttribute('data-state')))).toEqual(Array(13).fill('FAILED'));
    expect(await page.textContent('#search-count')).toBe('13 failed');
    expect(await page.getAttribute('.legend li[data-state=FAILED] button', 'aria-pressed')).toBe('true');
    await page.click('.graph-toolbar button:text("Find next")');
    await page.waitForSelector('.panel h2:text("CheckTask")');
    await page.click('.legend li[data-state=FAILED] button');
    expect(await page.$$eval('g.node.hit', (ns) => ns.length)).toBe(0);

    await page.click('.families-menu summary');
    await page.click('.families-menu button[data-family$="/CheckTask"]');
    await page.click('g.node.family[data-family$="/CheckTask"]');
    await page.waitForSelector('.panel .failure-groups');
    expect(await page.$$eval('.panel .failure-groups li', (ls) => ls.map((l) => l.textContent))).toEqual(['checksum mismatch ×9', 'the source file is missing ×4']);
    const states = await page.$$eval('.panel .members button', (bs) => bs.map((b) => b.className));
    expect(states.slice(0, 13).every((c) => c.includes('st-failed'))).toBe(true);
    expect(states.slice(13).every((c) => !c.includes('st-failed'))).toBe(true);
    await closePage(page);
  });
  test('node actions: run again with these parameters opens the form filled in; re-run from here builds it and what was built from it again', async () => {
    const first = await post('/api/chains/testchains/ShoutTask?name=actions');
    await settled(first);
    const page = await openPage(`#/runs/${first}`);
    await page.click('g.node[data-id*="/HelloTask/"]');
    await page.click('.panel [data-action=run-again]');
    await page.waitForSelector('form.task-form');
    expect(await page.textContent('form.task-form h2')).toBe('HelloTask');
    expect(await page.inputValue('#param-name')).toBe('actions');

    await page.goto(`${base}/#/runs/${first}`);
    await page.click('g.node[data-id*="/HelloTask/"]');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.click('.panel [data-action=rerun-from]');
    await page.waitForFunction((id) => /#\/runs\/[0-9a-f-]{36}$/.test(location.hash) && !location.hash.includes(id), first);
    expect(asked).toContain('removes the outputs of 2 task(s)');
    const second = page.url().split('#/runs/')[1] as string;
    expect(await settled(second)).toBe('SUCCEEDED');
    const nodes = (await call(`${base}/api/runs/${second}`)).body.data['nodes'] as { name: string; skipped: boolean; state: string }[];
    expect(nodes.map((n) => `${n.name} ${n.state}${n.skipped ? ' skipped' : ''}`).sort()).toEqual(['HelloTask DONE', 'ShoutTask DONE']);
    await closePage(page);
  });
});
