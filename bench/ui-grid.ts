/**
 * Partitions grid bench (alone: `node bin/run-ts.js bench/ui-grid.ts [--quick] [--json]`).
 * First paint of the Partitions view with 3,650 day cells (ten years of a daily task, the last
 * two backfilled, a day a month of them failed, the rest missing) in headless Chromium against
 * a real `nectar serve` process: from navigation start to the cells in the DOM and painted
 * (the task after the requestAnimationFrame that follows inserting them, so layout and paint
 * of that frame are in), split into the API's answer and building and painting the cells.
 * Beside it a floor in the same page: fetch the same JSON and paint 3,650 titled spans, with
 * no layout logic. Medians of alternating rounds, after one warm round. Needs the UI built
 * (`npm run build:web`) and Chromium (`/usr/bin/chromium` or NECTAR_CHROMIUM).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, launchChromium } from './browser';
import { median } from './figures';
import { startProcess } from './server-process';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: false });
const NECTAR = resolve(__dirname, '../bin/nectar.js');
const FROM = '2016-01-04';
const TO = '2025-12-31'; // 3,650 days
const CELLS = 3650;
const SEED_FROM = '2024-01-01'; // the last two years are backfilled
const ROUNDS = args.quick ? 1 : 3;
const TARGET_MS = 500;
const TASK = 'bench/days_chain/DayTask';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
/** A day's figures; the 13th of every month fails. */
export class DayTask extends task({ day: p.date() }) {
  async run(ctx: RunContext<DayTask>) {
    if (this.params.day.endsWith('-13')) throw new Error('no figures on the 13th');
    await ctx.output.write('figures of ' + this.params.day);
  }
}
`;

/** The floor, run in the page (a string: this file is type-checked without the DOM library). */
const FLOOR = `async (path) => {
  const t0 = performance.now();
  const res = await fetch(path);
  const { data } = await res.json();
  let html = '';
  data.partitions.forEach((p, i) => {
    html += '<span class="pc st-' + p.state.toLowerCase() + '" data-i="' + i + '" title="' + p.value + ': ' + p.state + '">' + (p.state === 'DONE' ? '✓' : '○') + '</span>';
  });
  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;inset:0;overflow:hidden;background:#fff;display:flex;flex-wrap:wrap;align-content:flex-start;gap:2px;--cell:14px';
  host.innerHTML = html;
  document.body.append(host);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}`;

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: T }).data;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`ui-grid: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  if (!existsSync(resolve(__dirname, '../web/dist/index.html'))) {
    console.log('ui-grid: skipped, the UI is not built (npm run build:web)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nectar-bench-ui-grid-'));
  mkdirSync(join(dir, 'chains', 'bench'), { recursive: true });
  writeFileSync(join(dir, 'chains', 'bench', 'days_chain.ts'), CHAIN);
  let server: ChildProcess | undefined;
  const browser = await launchChromium();
  try {
    const env = { ...process.env, NECTAR_CHAINS: join(dir, 'chains'), NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
    const started = await startProcess([NECTAR, 'serve', '--port', '0'], env, /127\.0\.0\.1:(\d+)/, 'stderr');
    server = started.child;
    const base = `http://127.0.0.1:${started.port}`;
    const seed = await json<{ backfill_id: string; partitions: number }>(await fetch(`${base}/api/backfills`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: TASK, from: SEED_FROM, to: TO, concurrency: 16 }),
    }));
    for (;;) {
      const b = await json<{ state: string }>(await fetch(`${base}/api/backfills/${seed.backfill_id}`));
      if (b.state !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const query = `from=${FROM}&to=${TO}`;
    const answer = await json<{ counts: Record<string, number>; partitions: unknown[] }>(await fetch(`${base}/api/partitions/${TASK}?${query}`));
    if (answer.partitions.length !== CELLS) throw new Error(`expected ${CELLS} partitions, got ${answer.partitions.length}`);

    const view = async (): Promise<{ nav: number; view: number; api: number; render: number }> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${base}/#/partitions?task=${encodeURIComponent(TASK)}&${query}`);
      await page.waitForSelector('.pgrid[data-first-paint-ms]', { timeout: 60_000 });
      const at = async (k: string): Promise<number> => Number(await page.getAttribute('.pgrid', `data-${k}`));
      const cells = await page.$$eval('.pgrid .pc[data-i]', (es) => es.length);
      if (cells !== CELLS) throw new Error(`the grid has ${cells} cells, expected ${CELLS}`);
      const out = { nav: await at('paint-at'), view: await at('first-paint-ms'), api: (await at('paint-ms')) - (await at('render-ms')), render: await at('render-ms') };
      await page.close();
      return out;
    };
    const floor = async (): Promise<number> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${base}/#/nothing`);
      const ms = (await page.evaluate(`(${FLOOR})(${JSON.stringify(`/api/partitions/${TASK}?${query}`)})`)) as number;
      await page.close();
      return Math.round(ms);
    };

    await view(); // warm: the server's first answer of this range, the browser's caches
    const runs: Array<{ nav: number; view: number; api: number; render: number }> = [];
    const floors: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floors.push(await floor());
      runs.push(await view());
    }
    const m = (k: 'nav' | 'view' | 'api' | 'render'): number => median(runs.map((r) => r[k]));
    const f = median(floors);
    const nav = m('nav');
    const c = answer.counts;
    const verdict = nav < TARGET_MS ? 'met' : 'MISSED';
    console.log(`ui-grid first paint, ${CELLS.toLocaleString('en')} day cells (ten years; done ${c['DONE']}, failed ${c['FAILED']}, missing ${c['MISSING']}; medians of ${ROUNDS}):`);
    console.log(`ui-grid-first-paint: ${nav} ms from navigation start to the cells painted (target < ${TARGET_MS} ms ${verdict}); view open to painted ${m('view')} ms: API answer ${m('api')} ms, cells built and painted ${m('render')} ms; floor (fetch the same JSON + paint ${CELLS.toLocaleString('en')} titled spans) ${f} ms, ratio floor/grid ${(f / (m('api') + m('render'))).toFixed(2)}`);
    if (args.json) console.log(JSON.stringify({ uiGrid: { cells: CELLS, fromNavigationMs: nav, viewMs: m('view'), apiMs: m('api'), renderMs: m('render'), floorMs: f, targetMs: TARGET_MS, rounds: ROUNDS } }));
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
