/**
 * UI bench (`npm run bench` runs it last; alone: `node bin/run-ts.js bench/ui.ts [--quick] [--json]`).
 * First paint of a 5,000-task run in headless Chromium against a real `nectar serve` process:
 * the run view as it opens (big families collapsed) and with every family expanded
 * (`?expand=all`: dagre layout of 5,001 nodes in the worker, then 5,001 SVG nodes), beside a
 * floor in the same page and run: fetch the same run's JSON and paint 5,001 labelled
 * rectangles on a grid, with no layout and no logic; and the run's timeline, as it opens and with
 * every row (scrolled, zoomed and paged while the longest task is watched). Medians of alternating rounds. Needs the
 * UI built (`npm run build:web`) and Chromium (`/usr/bin/chromium` or NECTAR_CHROMIUM).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, launchChromium } from './browser';
import { median } from './figures';
import { startProcess } from './server-process';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const NECTAR = resolve(__dirname, '../bin/nectar.js');
const TASKS = 5000;
const ROUNDS = args.quick ? 1 : 3;
const TARGET_MS = 2000;

/** The floor, run in the page (a string: this file is type-checked without the DOM library). */
const FLOOR = `async (id) => {
  const t0 = performance.now();
  const res = await fetch('/api/runs/' + id);
  const { data } = await res.json();
  let svg = '';
  data.nodes.forEach((n, i) => {
    const x = (i % 70) * 210;
    const y = Math.floor(i / 70) * 60;
    svg += '<g transform="translate(' + x + ',' + y + ')" data-id="' + n.task_id + '"><rect width="200" height="46" rx="6" fill="#d3f9d8" stroke="#2b8a3e"/><text x="10" y="20">' + n.name + '</text><text x="10" y="36">' + n.state + '</text></g>';
  });
  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;inset:0;overflow:hidden;background:#fff';
  host.innerHTML = '<svg xmlns="http://www.w3.org/2000/svg" width="1400" height="900"><g transform="scale(0.1)">' + svg + '</g></svg>';
  document.body.append(host);
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  return performance.now() - t0;
}`;

/** In the page: the longest task Chromium reports from now on (its longtask entries are tasks over 50 ms). */
const PAN_WATCH = `window.__longest = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration); }).observe({ type: 'longtask' });`;
/** No task over this while panning. */
const PAN_TARGET_MS = 200;

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`ui: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  if (!existsSync(resolve(__dirname, '../web/dist/index.html'))) {
    console.log('ui: skipped, the UI is not built (npm run build:web)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nectar-bench-ui-'));
  let server: ChildProcess | undefined;
  const browser = await launchChromium();
  try {
    const env = { ...process.env, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
    const started = await startProcess([NECTAR, 'serve', '--port', '0'], env, /127\.0\.0\.1:(\d+)/, 'stderr');
    server = started.child;
    const base = `http://127.0.0.1:${started.port}`;
    const post = await (await fetch(`${base}/api/chains/testchains/WideTask?n=${TASKS}`, { method: 'POST' })).json() as { data: { run_id: string } };
    const runId = post.data.run_id;
    for (;;) {
      const r = await (await fetch(`${base}/api/runs/${runId}`)).json() as { data: { state: string } };
      if (r.data.state !== 'QUEUED' && r.data.state !== 'RUNNING') break;
      await new Promise((res) => setTimeout(res, 100));
    }

    /** First paint of a view; with `pan`, then the longest task (ms, 0 when none over 50 ms) while it is dragged and panned by keyboard. */
    const view = async (hash: string, pan = false): Promise<{ view: number; load: number; panLongest: number }> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${base}/${hash}`);
      await page.waitForSelector('.graph-host[data-first-paint-ms]', { timeout: 120_000 });
      const out = { view: Number(await page.getAttribute('.graph-host', 'data-first-paint-ms')), load: Number(await page.getAttribute('.graph-host', 'data-paint-at')), panLongest: 0 };
      if (pan) {
        await page.evaluate(PAN_WATCH);
        const box = await page.locator('svg.graph').boundingBox();
        if (!box) throw new Error('no graph to pan');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width / 2 - i * 15, box.y + box.height / 2 - i * 8);
        await page.mouse.up();
        await page.focus('svg.graph');
        for (let i = 0; i < 10; i++) await page.keyboard.press(i % 2 ? 'ArrowLeft' : 'ArrowDown');
        out.panLongest = Math.round((await page.evaluate('new Promise((r) => setTimeout(() => r(window.__longest), 200))')) as number);
      }
      await page.close();
      return out;
    };
    /** The run's timeline: first paint and, with `pan`, the longest task while it is scrolled, zoomed and paged through. */
    const timeline = async (hash: string, pan = false): Promise<{ view: number; panLongest: number }> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${base}/${hash}`);
      await page.waitForSelector('.tl-host[data-first-paint-ms]', { timeout: 120_000 });
      const out = { view: Number(await page.getAttribute('.tl-host', 'data-first-paint-ms')), panLongest: 0 };
      if (pan) {
        await page.evaluate(PAN_WATCH);
        const box = await page.locator('.tl-scroll').boundingBox();
        if (!box) throw new Error('no timeline to pan');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 600);
        await page.focus('.tl-scroll');
        for (let i = 0; i < 3; i++) await page.keyboard.press('+');
        for (let i = 0; i < 10; i++) await page.mouse.wheel(300, i % 2 ? 400 : -200);
        for (let i = 0; i < 10; i++) await page.keyboard.press(i % 2 ? 'PageUp' : 'PageDown');
        await page.keyboard.press('End');
        out.panLongest = Math.round((await page.evaluate('new Promise((r) => setTimeout(() => r(window.__longest), 200))')) as number);
      }
      await page.close();
      return out;
    };
    const floor = async (): Promise<number> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${base}/#/nothing`);
      const ms = (await page.evaluate(`(${FLOOR})(${JSON.stringify(runId)})`)) as number;
      await page.close();
      return Math.round(ms);
    };

    await view(`#/runs/${runId}`); // warm: the server's first answer of this run, the browser's caches
    const collapsed: number[] = [];
    const expanded: number[] = [];
    const pans: number[] = [];
    const floors: number[] = [];
    const loads: number[] = [];
    const timelines: number[] = [];
    const timelinesOpen: number[] = [];
    const timelinePans: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floors.push(await floor());
      const c = await view(`#/runs/${runId}`);
      collapsed.push(c.view);
      loads.push(c.load);
      const x = await view(`#/runs/${runId}?expand=all`, true);
      expanded.push(x.view);
      pans.push(x.panLongest);
      timelines.push((await timeline(`#/runs/${runId}/timeline`)).view);
      const t = await timeline(`#/runs/${runId}/timeline?expand=all`, true);
      timelinesOpen.push(t.view);
      timelinePans.push(t.panLongest);
    }
    const f = median(floors);
    const c = median(collapsed);
    const e = median(expanded);
    const verdict = (ms: number): string => (ms < TARGET_MS ? 'met' : 'MISSED');
    console.log(`ui first paint, ${TASKS + 1}-task run (medians of ${ROUNDS}; floor = fetch the run's JSON + paint ${TASKS + 1} labelled rects, no layout):`);
    console.log(`ui-first-paint-collapsed: ${c} ms (target < ${TARGET_MS} ms ${verdict(c)}; floor ${f} ms, ratio floor/ui ${(f / c).toFixed(2)}; ${median(loads)} ms from navigation start)`);
    console.log(`ui-first-paint-expanded:  ${e} ms (every family expanded: ${TASKS + 1} nodes laid out and drawn; target < ${TARGET_MS} ms ${verdict(e)}; ratio floor/ui ${(f / e).toFixed(2)})`);
    const pan = Math.max(...pans);
    console.log(`ui-pan-expanded: longest task ${pan} ms while dragging and arrow-key panning the expanded run (0: none over 50 ms; worst of ${ROUNDS}; target < ${PAN_TARGET_MS} ms ${pan < PAN_TARGET_MS ? 'met' : 'MISSED'})`);
    const tc = median(timelines);
    const te = median(timelinesOpen);
    const tp = Math.max(...timelinePans);
    console.log(`ui-timeline: ${tc} ms (the family as one row with its spread; target < ${TARGET_MS} ms ${verdict(tc)}; ratio floor/ui ${(f / tc).toFixed(2)})`);
    console.log(`ui-timeline-expanded: ${te} ms (${TASKS + 2} rows, those in sight drawn; target < ${TARGET_MS} ms ${verdict(te)}); longest task ${tp} ms while scrolling, zooming and paging it (target < ${PAN_TARGET_MS} ms ${tp < PAN_TARGET_MS ? 'met' : 'MISSED'})`);
    if (args.json) console.log(JSON.stringify({ ui: { tasks: TASKS + 1, floorMs: f, collapsedMs: c, expandedMs: e, panLongestMs: pan, fromNavigationMs: median(loads), timelineMs: tc, timelineExpandedMs: te, timelinePanLongestMs: tp, rounds: ROUNDS } }));
  } finally {
    await browser.close();
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
