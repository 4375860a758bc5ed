/**
 * The UI in a real headless Chromium against a real server over the example chains: start a
 * chain from its form, watch it live, read logs and stack traces, cancel, a 5,000-task run,
 * the graph agreeing with `nectar graph`, token auth, and the empty and error states.
 * Screenshots of the main views go to test/e2e/screenshots/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, SCREENSHOTS } from '../helpers/browser';
import { REPO, rmDir, tempDir } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

const CHAINS = join(REPO, 'chains');
const run = haveChromium() ? describe : describe.skip;

function cli(args: string[], targets: string): string {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], { env: { ...process.env, NECTAR_CHAINS: CHAINS, NECTAR_TARGETS: targets, NECTAR_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nectar ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Every value of data-state each task node showed, in order, recorded in the page. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    const note = (el: Element): void => {
      const id = el.getAttribute('data-id');
      const st = el.getAttribute('data-state');
      if (!id || !st) return;
      const list = (seen[id] ??= []);
      if (list[list.length - 1] !== st) list.push(st);
    };
    new MutationObserver((muts) => {
      for (const m of muts) {
        if (m.type === 'attributes') note(m.target as Element);
        for (const n of m.addedNodes) if (n instanceof Element) n.querySelectorAll('g.node[data-id]').forEach(note);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    document.querySelectorAll('g.node[data-id]').forEach(note);
    (window as unknown as { __states: typeof seen }).__states = seen;
  });
}

run('the browser UI', () => {
  let browser: Browser;
  let dir: string;
  let base: string;
  let close: () => Promise<void>;
  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  beforeAll(async () => {
    browser = await launchChromium();
    dir = tempDir('nectar-e2e-');
    const s = await startTestServer(CHAINS, dir);
    base = s.base;
    close = () => s.srv.close();
  });
  afterAll(async () => {
    await browser?.close();
    await close?.();
    rmDir(dir);
  });

  const openPage = async (hash = ''): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${base}/${hash}`);
    return page;
  };

  const post = async (path: string): Promise<string> => {
    const a = await call(`${base}${path}`, { method: 'POST' });
    expect(a.status).toBe(202);
    return a.body.data['run_id'] as string;
  };

  test('the catalogue lists every task; the form shows the API message by the field, then starts the elections chain, which goes DONE live', async () => {
    const chains = (await call(`${base}/api/chains`)).body.data['chains'] as { type: string; chain: string; task: string }[];
    const page = await openPage('#/');
    await page.waitForSelector('nav.catalogue');
    const listed = await page.$$eval('nav.catalogue a[data-task]', (as) => as.map((a) => a.getAttribute('data-task')));
    expect(listed.sort()).toEqual(chains.map((c) => `${c.type}/${c.chain}/${c.task}`).sort());
    await shot(page, 'catalogue');

    await page.click('a[data-task="elections/donations_chain/TopDayTask"]');
    await page.waitForSelector('form.task-form');
    expect(await page.getAttribute('#param-count', 'placeholder')).toBe('100000');
    expect(await page.textContent('[data-param="count"] .hint')).toContain('default 100000');
    await page.fill('#param-count', '12x');
    await page.click('form.task-form button[type=submit]');
    await page.waitForSelector('#err-count:not(:empty)');
    expect(await page.textContent('#err-count')).toContain('expected an integer');
    expect(await page.getAttribute('#param-count', 'aria-invalid')).toBe('true');
    await shot(page, 'form-error');

    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
    await page.fill('#param-count', '');
    await page.click('form.task-form button[type=submit]');
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    await recordStates(page);
    await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('g.node[data-state=DONE]').length === 3);
    // One page all along: the states arrived over the event stream, not by reloading.
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
    await shot(page, 'run-done');

    // The run view draws the graph `nectar graph` prints, and exports the same DOT.
    const targets = join(dir, 'cli-targets');
    const graph = JSON.parse(cli(['graph', 'elections/TopDayTask', '--format', 'json'], targets)) as { nodes: { id: string }[]; edges: { from: string; to: string }[] };
    const ids = await page.$$eval('g.node[data-id]', (els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids.sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    const edges = await page.$$eval('path.edge', (els) => els.map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')}`));
    expect(edges.sort()).toEqual(graph.edges.map((e) => `${e.from} -> ${e.to}`).sort());
    const [dot] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action=export-dot]')]);
    // The same DOT, each task with its state in this run: a record of the run.
    const dotText = readFileSync(await dot.path(), 'utf8');
    expect(dotText.match(/nectar_state="DONE"/g)).toHaveLength(3);
    expect(dotText.replace(/\\n(DONE|FAILED|CANCELLED|UPSTREAM_FAILED)[^"]*"/g, '"').replace(/, fillcolor="[^"]*", nectar_state="[^"]*"/g, '')).toBe(cli(['graph', 'elections/TopDayTask', '--format', 'dot'], targets));
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action=export-svg]')]);
    const svgText = readFileSync(await svg.path(), 'utf8');
    expect(svgText).toMatch(/^<\?xml/);
    expect(svgText.match(/class="node /g)).toHaveLength(3);
    expect(svgText).toContain('<style>');

    // A node's panel: params, timings, log and a link to its output.
    await page.click('g.node[data-id*="/DonationsTask/"]');
    await page.waitForSelector('.panel pre.log .log-line');
    expect(await page.textContent('.panel pre.log')).toContain('generating 100000 donations');
    expect(await page.textContent('.panel .params-table')).toContain('2012');
    const href = await page.getAttribute('.panel a.output-link', 'href');
    expect(href).toMatch(/\/api\/targets\/chains\/elections\/donations_chain\/DonationsTask\/[0-9a-f]{32}\/donations\.jsonl$/);
    expect((await fetch(href as string)).status).toBe(200);
    await shot(page, 'run-node-log');
    await page.close();
  });

  test('nodes turn pending → running → done without a reload, and a running task’s log follows live', async () => {
    // Ten lines a stage, 3.5 s: time enough, on a loaded machine, to click a stage while it runs and see it log more.
    const runId = await post('/api/chains/testchains/StepsTask?steps=10&ms=350');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('g.node[data-id]');
    await recordStates(page);
    await page.waitForSelector('g.node[data-state=RUNNING]');
    await page.click('g.node[data-state=RUNNING]');
    const first = await page.locator('.panel pre.log .log-line').count();
    await page.waitForFunction((n) => document.querySelectorAll('.panel pre.log .log-line').length > n + 1, first, { timeout: 10_000 });
    expect(await page.textContent('.panel pre.log')).toMatch(/(extract|transform|load): step \d+ of 10/);
    await shot(page, 'run-live-log');
    await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]', { timeout: 30_000 });
    const states = await page.evaluate(() => (window as unknown as { __states: Record<string, string[]> }).__states);
    // The stages after the first were seen waiting, then running, then done, in that order. (The
    // root takes a millisecond: its RUNNING may fall within one animation frame and not be drawn.)
    const stages = Object.entries(states).filter(([id]) => id.includes('/StepTask/'));
    expect(stages).toHaveLength(3);
    expect(stages.filter(([, s]) => s.join() === 'PENDING,RUNNING,DONE').length).toBeGreaterThanOrEqual(2);
    for (const [, s] of Object.entries(states)) expect(s[s.length - 1]).toBe('DONE');
    await page.close();
  });

  test('a failing task shows its error and stack trace; its dependant is upstream failed; keyboard opens a node', async () => {
    const runId = await post('/api/chains/testchains/BrokenTask?reason=bad%20header');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('.run-head .badge[data-state=FAILED]', { timeout: 30_000 });
    await page.waitForSelector('g.node[data-id*="/BrokenTask/"][data-state=UPSTREAM_FAILED]');
    await page.focus('g.node[data-id*="/FailingTask/"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.panel pre.stack');
    expect(await page.textContent('.panel .error-message')).toContain('cannot parse input: bad header');
    expect(await page.textContent('.panel pre.stack')).toContain('demo_chain.ts');
    await page.waitForSelector('.panel pre.log .log-line');
    expect(await page.getAttribute('.legend li[data-state=FAILED]', 'class')).toContain('st-failed');
    expect(await page.textContent('.legend li[data-state=FAILED] .count')).toBe('1');
    await shot(page, 'run-failed-stack');
    await page.close();
  });

  test('a stale task rebuilt is marked in the graph with its reasons; its outputs can be invalidated from the panel', async () => {
    const poll = async (runId: string): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        const state = (await call(`${base}/api/runs/${runId}`)).body.data['state'];
        if (state !== 'QUEUED' && state !== 'RUNNING') return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const shoutRun = await post('/api/chains/testchains/ShoutTask?name=stale-e2e');
    await poll(shoutRun);
    const shout = (await call(`${base}/api/chains/testchains/ShoutTask?name=stale-e2e`, { method: 'POST' })).body.data['task_id'] as string;
    const hello = shout.replace('/ShoutTask/', '/HelloTask/');
    rmSync(join(dir, 'targets', 'chains', hello, 'out.txt'));
    await poll(await post('/api/chains/testchains/HelloTask?name=stale-e2e'));
    const rebuild = await post('/api/chains/testchains/ShoutTask?name=stale-e2e');
    const page = await openPage(`#/runs/${rebuild}`);
    await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]', { timeout: 30_000 });
    const node = page.locator('g.node[data-id*="/ShoutTask/"]');
    await node.locator('.box.stale').waitFor();
    expect((await node.locator('.stale-mark').textContent())?.trim()).toBe('stale');
    expect(await node.getAttribute('aria-label')).toContain('was stale');
    await node.click();
    await page.waitForSelector('.panel .stale-reasons li');
    expect(await page.textContent('.panel .stale-reasons')).toMatch(/upstream HelloTask rebuilt \d{4}-/);
    // Its lineage: built from the HelloTask (in this run's graph), nothing built from it yet.
    await page.waitForSelector('.panel .lineage-list li');
    expect(await page.textContent('.panel .lineage')).toContain('HelloTask/');
    expect(await page.textContent('.panel .lineage')).toContain('nothing recorded yet');
    page.once('dialog', (d) => void d.accept());
    await page.click('.panel .invalidate-button');
    await page.waitForSelector('.panel .invalidate-result:text("removed")');
    expect(await page.textContent('.panel .invalidate-result')).toBe('removed 2 files of 1 tasks');
    expect(existsSync(join(dir, 'targets', 'chains', shout, 'out.txt'))).toBe(false);
    expect(existsSync(join(dir, 'targets', 'chains', hello, 'out.txt'))).toBe(true);
    await page.close();
  });

  test('cancel from the run view stops the run', async () => {
    const runId = await post('/api/chains/testchains/StepsTask?steps=200&ms=200');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('g.node[data-state=RUNNING]');
    await page.click('button[data-action=cancel]');
    await page.waitForSelector('.run-head .badge[data-state=CANCELLED]', { timeout: 30_000 });
    await page.waitForSelector('g.node[data-state=CANCELLED]');
    expect(await page.isDisabled('button[data-action=cancel]')).toBe(true);
    expect(await page.isEnabled('button[data-action=retry]')).toBe(true);
    expect((await call(`${base}/api/runs/${runId}`)).body.data['state']).toBe('CANCELLED');
    await shot(page, 'run-cancelled');
    await page.close();
  });

  test('a 5,000-task run paints with its family collapsed, expands, pans, zooms and finds a task by name', async () => {
    const runId = await post('/api/chains/testchains/WideTask?n=5000');
    const page = await openPage(`#/runs/${runId}`);
    await page.waitForSelector('.graph-host[data-first-paint-ms]', { timeout: 30_000 });
    const paint = Number(await page.getAttribute('.graph-host', 'data-first-paint-ms'));
    console.log(`first paint of a ${await page.getAttribute('.graph-host', 'data-tasks')}-task run: ${paint} ms (target < 2000 ms)`);
    await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]', { timeout: 60_000 });
    const family = page.locator('g.node.family[data-family$="/LeafTask"]');
    await page.waitForFunction(() => document.querySelector('g.node.family .counts')?.textContent?.trim() === '✓ 5000');
    expect(await family.getAttribute('aria-label')).toContain('5000 done');
    expect(await page.textContent('.legend li[data-state=DONE] .count')).toBe('5001');
    await shot(page, 'run-5000-collapsed');

    await page.click('.families-menu summary');
    await page.click('.families-menu button[data-family$="/LeafTask"]');
    await page.waitForFunction(() => document.querySelectorAll('g.node.task').length === 5001, null, { timeout: 60_000 });
    // Laid out as one grid with one edge for all of them, not a row a million pixels wide with 5,000 edges.
    expect(await page.locator('path.edge').count()).toBe(1);
    const frame = await page.$eval('rect.block', (r) => {
      const b = (r as SVGGraphicsElement).getBBox();
      return { width: b.width, height: b.height };
    });
    expect(frame.width / frame.height).toBeGreaterThan(0.8);
    expect(frame.width / frame.height).toBeLessThan(3);
    await page.click('.zoom button:text("Fit")');
    expect(Number(await page.getAttribute('svg.graph', 'data-zoom'))).toBeGreaterThan(0.08);

    const zoom = Number(await page.getAttribute('svg.graph', 'data-zoom'));
    await page.click('.zoom button[aria-label="Zoom in"]');
    expect(Number(await page.getAttribute('svg.graph', 'data-zoom'))).toBeGreaterThan(zoom);
    await page.focus('svg.graph');
    const before = await page.getAttribute('svg.graph .viewport', 'transform');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getAttribute('svg.graph .viewport', 'transform')).not.toBe(before);

    await page.fill('#graph-search', 'i=4242');
    await page.press('#graph-search', 'Enter');
    await page.waitForSelector('.panel h2:text("LeafTask")');
    expect(await page.textContent('#search-count')).toBe('1 task matches');
    expect(await page.textContent('.panel .params-table')).toContain('4242');
    expect(await page.getAttribute('g.node.hit', 'data-id')).toMatch(/\/LeafTask\//);
    await shot(page, 'run-5000-search');
    await page.close();
  });

  test('the runs list filters by state and pages', async () => {
    for (let i = 0; i < 27; i++) await call(`${base}/api/chains/testchains/HelloTask?name=page${i}`, { method: 'POST' });
    const page = await openPage('#/runs');
    await page.waitForSelector('.runs-table');
    expect(await page.locator('.runs-table tbody tr').count()).toBe(25);
    const total = (await call(`${base}/api/runs?limit=1`)).body.data['total'] as number;
    expect(await page.textContent('.pager span')).toBe(`1–25 of ${total}`);
    await shot(page, 'runs');
    await page.click('.pager button:text("Older →")');
    await page.waitForFunction((t) => document.querySelector('.pager span')?.textContent === `26–${Math.min(50, t)} of ${t}`, total);
    await page.selectOption('#state-filter', 'FAILED');
    await page.waitForFunction(() => location.hash === '#/runs?state=FAILED');
    await page.waitForSelector('.runs-table tbody tr');
    const states = await page.$$eval('.runs-table tbody .badge', (b) => b.map((x) => x.getAttribute('data-state')));
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(['FAILED']));
    await page.close();
  });

  test('empty and error states: an unknown run, and the server gone', async () => {
    const page = await openPage('#/runs/00000000-0000-4000-8000-000000000000');
    await page.waitForSelector('.error-state h1:text("Run not found")');
    await shot(page, 'run-not-found');

    const other = tempDir('nectar-e2e-down-');
    const s = await startTestServer(CHAINS, other);
    const p2 = await browser.newPage();
    await p2.goto(`${s.base}/#/runs`);
    await p2.waitForSelector('.empty:has-text("No runs yet")');
    await s.srv.close();
    await p2.evaluate(() => (location.hash = '#/'));
    await p2.waitForSelector('.error-state h1:text("cannot be reached")');
    expect(await p2.textContent('#conn')).toContain('unreachable');
    await shot(p2, 'server-down');
    await p2.close();
    await page.close();
    rmDir(other);
  });
});

run('the browser UI with NECTAR_API_TOKEN', () => {
  test('asks for the token once, keeps it for the tab, and follows a run with it', async () => {
    const browser = await launchChromium();
    const dir = tempDir('nectar-e2e-token-');
    const { srv, base } = await startTestServer(CHAINS, dir, { NECTAR_API_TOKEN: 's3cret-token' });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/#/`);
      await page.waitForSelector('dialog.token-dialog[open]');
      await shot(page, 'token');
      await page.fill('#token-input', 'wrong');
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('dialog.token-dialog[open] p:text("refused")');
      await page.fill('#token-input', 's3cret-token');
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('nav.catalogue');
      await page.reload();
      await page.waitForSelector('nav.catalogue');
      expect(await page.locator('dialog.token-dialog').count()).toBe(0);

      await page.goto(`${base}/#/chains/testchains/hello_chain/HelloTask`);
      await page.fill('#param-name', 'token');
      await page.click('form.task-form button[type=submit]');
      await page.waitForURL(/#\/runs\//);
      await page.waitForSelector('.run-head .badge[data-state=SUCCEEDED]', { timeout: 30_000 });
      await page.click('g.node[data-id*="/HelloTask/"]');
      await page.waitForSelector('.panel pre.log .log-line');
      expect(await page.textContent('.panel pre.log')).toContain('greeting token');
      await page.close();
    } finally {
      await browser.close();
      await srv.close();
      rmDir(dir);
    }
  });
});
