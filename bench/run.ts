/**
 * `npm run bench [-- --quick] [-- --json]`: nectar's orchestration cost beside the raw floor,
 * per /work/shared/BENCH.md. Headline figures with the targets on tmpfs (/dev/shm), then the
 * same on disk (os.tmpdir()) for information.
 *
 * Each measurement runs in a fresh child process (bench/child.ts): peak memory is then the
 * child's own `maxRSS` (exact, no sampling gaps, no earlier shape's heap in it), and no shape
 * inherits another's heap, JIT state or caches. Start-up is not timed: each child times its
 * own measured part. Throughput jobs do a 200-task warm-up first; resume and noop run cold,
 * as a CLI invocation would.
 *
 * Then the API load bench (bench/api.ts): autocannon against a real `nectar serve` beside
 * bare Express answering the same JSON; and the S3 completeness bench (bench/s3.ts).
 *
 * Options: --quick (small sizes, tmpfs only, < 1 min), --json (one JSON
 * object), --workers N (default 64), --reps N, --disk / --no-disk (the disk pass: on by
 * default, off in --quick), --sweep 8,16,32,64,128 (fan-in rate per worker count, then exit).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Figure } from './figures';
import { label, runPass, type Sizes } from './pass';
import { line } from './report';
import { runJob } from './spawn-job';

/** `--sweep 8,16,32,64,128` on fanin-10k, tmpfs, 2 cores: 3.6-3.9k, 3.4-3.8k, 3.6k, 3.8-4.6k, 3.5-4.5k tasks/s; 64 best by a little. */
const DEFAULT_WORKERS = 64;
const INFLIGHT = 64;
const FULL: Sizes = { small: 1_000, big: 10_000, chain: 1_000, resume: 100_000 };
const QUICK: Sizes = { small: 200, big: 2_000, chain: 300, resume: 10_000 };

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    workers: { type: 'string' },
    reps: { type: 'string' },
    disk: { type: 'boolean', default: false },
    'no-disk': { type: 'boolean', default: false },
    sweep: { type: 'string' },
  },
  strict: true,
});

function positiveInt(raw: string | undefined, def: number, what: string): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: expected a whole number >= 1, got ${JSON.stringify(raw)}`);
  return n;
}

const quick = args.quick;
const sizes = quick ? QUICK : FULL;
const workers = positiveInt(args.workers, DEFAULT_WORKERS, '--workers');
const reps = positiveInt(args.reps, 3, '--reps');
const timeoutMs = (quick ? 120 : 600) * 1000;
/** The disk pass is for information and its time swings with other work flushing to disk: off in --quick unless --disk. */
const diskPass = quick ? args.disk : !args['no-disk'];

/** Folders this process created: removed at the end, or on Ctrl-C. */
const live = new Set<string>();
function fresh(parent: string, prefix: string): string {
  const d = mkdtempSync(join(parent, prefix));
  live.add(d);
  return d;
}
function drop(d: string): void {
  rmSync(d, { recursive: true, force: true });
  live.delete(d);
}
process.on('SIGINT', () => {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  process.exit(130);
});

const say = (s: string): void => {
  if (!args.json) process.stdout.write(`${s}\n`);
};

async function sweep(list: string): Promise<void> {
  const counts = list.split(',').map((s) => positiveInt(s.trim(), 0, '--sweep'));
  const shm = fresh('/dev/shm', 'nectar-bench-');
  const chains = fresh(tmpdir(), 'nectar-bench-chains-');
  const n = sizes.big;
  const runs = new Map<number, number[]>(counts.map((w) => [w, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const w of counts) {
        const root = join(shm, `fanin-w${w}-r${rep}`);
        try {
          const r = await runJob({ kind: 'fanin', root, chains, n, workers: w }, timeoutMs);
          runs.get(w)?.push((n + 1) / r.seconds);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    }
  } finally {
    drop(shm);
    drop(chains);
  }
  const out: Record<string, number[]> = {};
  for (const [w, rates] of runs) {
    out[String(w)] = rates.map(Math.round);
    say(`sweep fanin-${label(n)} workers=${w}: ${rates.map((r) => Math.round(r)).join(', ')} tasks/s`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify({ sweep: `fanin-${label(n)}`, tasksPerSecond: out })}\n`);
}

interface PassReport {
  readonly root: string;
  readonly reps: number;
  readonly figures: Record<string, Figure>;
}

async function pass(where: 'tmpfs' | 'disk', parent: string, passReps: number, chains: string): Promise<PassReport> {
  const base = fresh(parent, 'nectar-bench-');
  const figures: Record<string, Figure> = {};
  const prefix = where === 'disk' ? 'disk ' : '';
  try {
    await runPass({
      where,
      base,
      chains,
      reps: passReps,
      workers,
      inflight: INFLIGHT,
      sizes,
      timeoutMs,
      judge: where === 'tmpfs',
      onFigure: (f) => {
        figures[f.name] = f;
        say(line(f, prefix));
      },
    });
  } finally {
    drop(base);
  }
  return { root: base, reps: passReps, figures };
}

async function main(): Promise<void> {
  if (!existsSync('/dev/shm')) throw new Error('/dev/shm (tmpfs) is missing: the headline figures need it');
  if (args.sweep !== undefined) return sweep(args.sweep);
  const started = performance.now();
  const chains = fresh(tmpdir(), 'nectar-bench-chains-');
  const runsText = reps === 1 ? '1 run each' : `median of ${reps} runs`;
  say(
    `nectar bench (${quick ? 'quick' : 'full'} sizes): workers ${workers}, raw floors sync and fs.promises x${INFLIGHT}, ${runsText}, ` +
      `each job in a fresh process; node ${process.version}, ${availableParallelism()} cpus`,
  );
  say(`targets on tmpfs (/dev/shm)${quick ? '; the targets are for full sizes' : ''}:`);
  let tmpfs: PassReport;
  let disk: PassReport | undefined;
  try {
    tmpfs = await pass('tmpfs', '/dev/shm', reps, chains);
    if (diskPass) {
      say(`for information, the same on disk (${tmpdir()}), 1 run each:`);
      disk = await pass('disk', tmpdir(), 1, chains);
    } else say(`disk pass skipped (${quick ? 'add --disk' : 'drop --no-disk'} for it)`);
  } finally {
    drop(chains);
  }
  const all = [...Object.values(tmpfs.figures), ...Object.values(disk?.figures ?? {})];
  const broken = all.filter((f) => f.error !== undefined).map((f) => f.name);
  const checks = Object.values(tmpfs.figures).flatMap((f) => f.checks ?? []);
  const seconds = (performance.now() - started) / 1000;
  say(`bench took ${seconds.toFixed(0)} s; ${broken.length > 0 ? `BROKEN: ${broken.join(', ')}` : 'every run checked'}`);
  if (args.json) {
    const report = {
      bench: 'nectar',
      mode: quick ? 'quick' : 'full',
      sizes,
      workers,
      inflight: INFLIGHT,
      node: process.version,
      cpus: availableParallelism(),
      tmpfs,
      disk: disk ?? null,
      targetsMet: checks.length > 0 && checks.every((c) => c.met),
      broken,
      seconds,
    };
    process.stdout.write(`${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  }
  if (broken.length > 0) process.exitCode = 1;
  // The API load bench, in its own processes (server, bare Express floor, load generator here).
  const api = spawnSync(process.execPath, [join(__dirname, '../bin/run-ts.js'), join(__dirname, 'api.ts'), ...(quick ? ['--quick'] : []), ...(args.json ? ['--json'] : [])], { stdio: 'inherit' });
  if (api.status !== 0) process.exitCode = 1;
  // S3 completeness, against a real S3-protocol server started for it.
  const s3 = spawnSync(process.execPath, [join(__dirname, '../bin/run-ts.js'), join(__dirname, 's3.ts'), ...(quick ? ['--quick'] : []), ...(args.json ? ['--json'] : [])], { stdio: 'inherit' });
  if (s3.status !== 0) process.exitCode = 1;
  // Distributed: nectar tasks through BullMQ workers beside bare BullMQ jobs; latency per step.
  const dist = spawnSync(process.execPath, [join(__dirname, '../bin/run-ts.js'), join(__dirname, 'distributed.ts'), ...(quick ? ['--quick'] : []), ...(args.json ? ['--json'] : [])], { stdio: 'inherit' });
  if (dist.status !== 0) process.exitCode = 1;
  // First paint of a 5,000-task run in Chromium, beside a fetch-and-paint floor.
  const ui = spawnSync(process.execPath, [join(__dirname, '../bin/run-ts.js'), join(__dirname, 'ui.ts'), ...(quick ? ['--quick'] : []), ...(args.json ? ['--json'] : [])], { stdio: 'inherit' });
  if (ui.status !== 0) process.exitCode = 1;
  // Time: a ten-year backfill beside the same tasks as one fan-in; the schedule runner's CPU with 1,000 schedules; the partitions grid's first paint with 3,650 cells.
  for (const file of ['backfill.ts', 'schedules.ts', 'ui-grid.ts']) {
    const r = spawnSync(process.execPath, [join(__dirname, '../bin/run-ts.js'), join(__dirname, file), ...(quick && file !== 'schedules.ts' ? ['--quick'] : []), ...(args.json ? ['--json'] : [])], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
