/**
 * Runs one bench job in this (fresh) process and prints its result on one line:
 * `node bin/run-ts.js bench/child.ts '<job json>'`. Exits non-zero, printing why, if the
 * job's work was not done as expected.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINEAGE_FILE, makeLineage } from '../src/core/lineage';
import { allWritten, floorAsync, floorExists, floorSync, plannedFiles } from './floor';
import { type Job, type JobResult, RESULT_PREFIX, WARMUP_TASKS } from './jobs';
import { benchRuntime, timedRun } from './nectar-runs';
import { payload } from './payload';
import { LeafTask, LinkTask, RootTask } from './tasks';

const MB = 1024 * 1024;

function rssMB(): number {
  return process.memoryUsage().rss / MB;
}

/** A warm-up in a sibling folder, so the measured part runs with the code already compiled. */
async function warmUp(job: Job): Promise<void> {
  const dir = `${job.root}.warm`;
  try {
    if (job.kind === 'fanin' || job.kind === 'chain') {
      const rt = benchRuntime(dir, job.chains);
      const n = WARMUP_TASKS;
      if (job.kind === 'fanin') await timedRun('warm-up', rt, () => new RootTask({ n }), job.workers, { ran: n + 1, skipped: 0, rootOut: payload(n) });
      else await timedRun('warm-up', rt, () => new LinkTask({ i: n - 1, n }), job.workers, { ran: n, skipped: 0, rootOut: payload(n - 1) });
      await rt.close();
    } else if (job.kind === 'floor-sync') floorSync(plannedFiles(dir, 'Warm', WARMUP_TASKS));
    else if (job.kind === 'floor-async') await floorAsync(plannedFiles(dir, 'Warm', WARMUP_TASKS), job.inflight);
  } finally {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A failed clean-up must not hide why the warm-up failed.
    }
  }
}

/** The out.txt path of each of the `n` leaves of `RootTask({ n })` under `root`. */
function leafOutPaths(root: string, n: number): string[] {
  const paths = new Array<string>(n);
  for (let i = 0; i < n; i++) paths[i] = join(root, 'chains', new LeafTask({ i, n }).id, 'out.txt');
  return paths;
}

/** Times `fn`; returns seconds. */
async function clock(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function measure(job: Job): Promise<{ seconds: number; tasks: number }> {
  switch (job.kind) {
    case 'fanin': {
      const rt = benchRuntime(job.root, job.chains);
      const n = job.n;
      const seconds = await timedRun(`fanin-${n}`, rt, () => new RootTask({ n }), job.workers, { ran: n + 1, skipped: 0, rootOut: payload(n) });
      await rt.close();
      return { seconds, tasks: n + 1 };
    }
    case 'chain': {
      const rt = benchRuntime(job.root, job.chains);
      const n = job.n;
      const seconds = await timedRun(`chain-${n}`, rt, () => new LinkTask({ i: n - 1, n }), job.workers, { ran: n, skipped: 0, rootOut: payload(n - 1) });
      await rt.close();
      return { seconds, tasks: n };
    }
    case 'resume': {
      const rt = benchRuntime(job.root, job.chains);
      const n = job.n;
      const e = job.expect === 'resume' ? { ran: 1, skipped: n, rootOut: payload(n) } : { ran: 0, skipped: 1, rootOut: payload(n) };
      const seconds = await timedRun(`${job.expect}-${n}`, rt, () => new RootTask({ n }), job.workers, e);
      await rt.close();
      return { seconds, tasks: n + 1 };
    }
    case 'stale': {
      const rt = benchRuntime(job.root, job.chains);
      const root = new RootTask({ n: job.n });
      let stale = -1;
      const seconds = await clock(async () => {
        stale = (await rt.freshness({ exact: true }).stale([root])).size;
      });
      await rt.close();
      if (stale !== 0) throw new Error(`stale-${job.n}: ${stale} stale, expected none`);
      return { seconds, tasks: job.n + 1 };
    }
    case 'floor-sync':
    case 'floor-async': {
      const files = plannedFiles(job.root, job.folder, job.n);
      const seconds = await clock(() => (job.kind === 'floor-sync' ? floorSync(files) : floorAsync(files, job.inflight)));
      if (!allWritten(files)) throw new Error(`${job.kind}: not every file was written`);
      return { seconds, tasks: job.n };
    }
    case 'floor-exists': {
      const paths = leafOutPaths(job.root, job.n);
      const rootFiles = plannedFiles(job.root, 'FloorRoot', 1);
      let found = 0;
      const seconds = await clock(() => {
        found = floorExists(paths);
        floorSync(rootFiles);
      });
      if (found !== job.n) throw new Error(`floor-exists: found ${found} of ${job.n} leaves`);
      return { seconds, tasks: job.n + 1 };
    }
    case 'setup-leaves': {
      const n = job.n;
      const seconds = await clock(() => {
        for (let i = 0; i < n; i++) {
          const leaf = new LeafTask({ i, n });
          const dir = join(job.root, 'chains', leaf.id);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'params.json'), `${JSON.stringify(leaf.params, null, 2)}\n`);
          writeFileSync(join(dir, 'out.txt'), payload(i));
          writeFileSync(join(dir, 'log'), `{"level":30,"msg":"${leaf} done (written by the bench set-up)"}\n`);
          const lineage = makeLineage({ id: leaf.id, version: null, runId: 'bench-set-up', builtAt: new Date().toISOString(), inputs: [], upstreamOf: () => undefined });
          writeFileSync(join(dir, LINEAGE_FILE), `${JSON.stringify(lineage)}\n`);
        }
      });
      return { seconds, tasks: n };
    }
  }
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: node bin/run-ts.js bench/child.ts <job json>');
  const job = JSON.parse(raw) as Job;
  if (job.kind !== 'resume' && job.kind !== 'stale' && job.kind !== 'floor-exists' && job.kind !== 'setup-leaves') await warmUp(job);
  const baselineMB = rssMB();
  const { seconds, tasks } = await measure(job);
  const result: JobResult = { seconds, tasks, peakMB: process.resourceUsage().maxRSS / 1024, baselineMB };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
