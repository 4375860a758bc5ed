/**
 * The README's screenshots, made again from the code as it is: `node bin/run-ts.js scripts/screenshots.ts`
 * (needs the UI built, `npm run build:web`, and Chromium). Starts real `nectar serve`
 * processes on temp folders, runs the example chains and a backfill, and writes
 * `docs/run-view.png` (a chain running, its log following), `docs/timeline.png` (the same
 * run's timeline, critical path marked, a family's spread) and `docs/partitions-grid.png`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../bench/browser';
import { startProcess } from '../bench/server-process';

const REPO = resolve(__dirname, '..');
const NECTAR = join(REPO, 'bin/nectar.js');
const DOCS = join(REPO, 'docs');
const VIEWPORT = { width: 1400, height: 860 };

/** A day's figures for the grid; a few days fail, as real ones do. */
const DAY_CHAIN = `
import { p, task, type RunContext } from 'nectar';

const BAD = ['2025-02-14', '2025-04-01', '2025-05-20', '2025-07-04', '2025-09-09'];

/** A day's sales figures. */
export class DayTask extends task({ day: p.date({ description: 'the day to sum' }) }) {
  async run(ctx: RunContext<DayTask>) {
    if (BAD.includes(this.params.day)) throw new Error('the export of ' + this.params.day + ' is truncated');
    await ctx.output.write('figures of ' + this.params.day);
  }
}
`;

async function serve(dir: string, chains: string): Promise<{ child: ChildProcess; base: string }> {
  const env = { ...process.env, NECTAR_CHAINS: chains, NECTAR_TARGETS: join(dir, 'targets'), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_LOG_LEVEL: 'warn' };
  const { child, port } = await startProcess([NECTAR, 'serve', '--port', '0'], env, /127\.0\.0\.1:(\d+)/, 'stderr');
  return { child, base: `http://127.0.0.1:${port}` };
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: T }).data;
}

async function settled(base: string, path: string): Promise<void> {
  for (;;) {
    const s = await json<{ state: string }>(`${base}${path}`);
    if (s.state !== 'QUEUED' && s.state !== 'RUNNING') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function page(browser: Browser, url: string): Promise<Page> {
  const p = await browser.newPage({ viewport: VIEWPORT });
  await p.goto(url);
  return p;
}

async function runShots(browser: Browser, dir: string): Promise<void> {
  const { child, base } = await serve(dir, join(REPO, 'chains'));
  try {
    const { run_id: runId } = await json<{ run_id: string }>(`${base}/api/chains/testchains/ReportTask?n=12&ms=1000`, { method: 'POST' });
    const p = await page(browser, `${base}/#/runs/${runId}`);
    // While the chain's second stage runs: its node selected, its log following.
    await p.waitForSelector('g.node.st-running[data-id*="/StepTask/"]', { timeout: 30_000 });
    await p.click('g.node.st-running:has-text("stage=transform")', { timeout: 30_000 });
    // The loads as one node with their counts, as a big family is shown.
    await p.click('.families-menu summary');
    await p.click('.families-menu button[data-family="testchains/demo_chain/LoadTask"]');
    await p.waitForSelector('g.node[data-family="testchains/demo_chain/LoadTask"]');
    await p.keyboard.press('Escape');
    await p.click('.zoom button:has-text("Fit")');
    await p.waitForSelector('.panel .log-line');
    await p.waitForTimeout(300);
    await p.screenshot({ path: join(DOCS, 'run-view.png') });
    await p.close();
    await settled(base, `/api/runs/${runId}`);
    const t = await page(browser, `${base}/#/runs/${runId}/timeline`);
    await t.waitForSelector('.tl-host[data-first-paint-ms]');
    await t.click('.tl-row.fam .tl-label');
    await t.waitForSelector('.tl-row.member');
    await t.hover('.tl-row.crit:has-text("stage=transform") .tl-bar');
    await t.waitForSelector('.tl-tip:not([hidden])');
    await t.screenshot({ path: join(DOCS, 'timeline.png') });
    await t.close();
  } finally {
    child.kill('SIGTERM');
  }
}

async function gridShot(browser: Browser, dir: string): Promise<void> {
  const chains = join(dir, 'chains');
  mkdirSync(join(chains, 'sales'), { recursive: true });
  writeFileSync(join(chains, 'sales/day_chain.ts'), DAY_CHAIN);
  const { child, base } = await serve(dir, chains);
  try {
    const b = await json<{ backfill_id: string }>(`${base}/api/backfills`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ task: 'sales/DayTask', from: '2025-01-01', to: '2025-09-30', step: 'day', concurrency: 8 }),
    });
    await settled(base, `/api/backfills/${b.backfill_id}`);
    const p = await page(browser, `${base}/#/partitions?task=sales/day_chain/DayTask&from=2025-01-01&to=2025-12-31`);
    await p.waitForSelector('.pgrid .pc[data-i]');
    await p.focus('.pgrid .pc[data-state="FAILED"]');
    await p.locator('section.partitions').screenshot({ path: join(DOCS, 'partitions-grid.png') });
    await p.close();
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nectar-shots-'));
  const browser = await launchChromium();
  try {
    await runShots(browser, join(dir, 'run'));
    await gridShot(browser, join(dir, 'grid'));
    console.log(`wrote ${['run-view', 'timeline', 'partitions-grid'].map((n) => `docs/${n}.png`).join(', ')}`);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
