/**
 * `backfill-3650` (BENCH.md): ten years of daily partitions of a two-task chain (DayTask
 * requires RawTask of its day), run as a backfill (one run per partition, recorded in a real
 * SQLite run store, at most --concurrency partitions in flight) beside the same 7,300 tasks
 * run as one fan-in (a root requiring the 3,650 DayTasks, 64 workers), started the same way a
 * server starts a run (the run manager, recorded in its own SQLite store). Fresh targets on tmpfs
 * for each; alternating, median of --reps. The floor: backfill rate at 0.8 or more of fan-in.
 *
 * `node bin/run-ts.js bench/backfill.ts [--quick] [--json] [--reps N] [--concurrency N]`
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/runtime/config';
import { Backfills } from '../src/runtime/backfills';
import { RunManager } from '../src/runtime/runs';
import { Runtime } from '../src/runtime/runtime';
import { SqliteRunStore } from '../src/store/sqlite';
import { median } from './figures';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, reps: { type: 'string' }, concurrency: { type: 'string' } } });
const DAYS = args.quick ? 365 : 3650;
const REPS = Number(args.reps ?? (args.quick ? 1 : 3));
/** BENCH_ONLY=fanin or backfill: one side alone (for profiling). */
const ONLY = process.env["BENCH_ONLY"];
/** 64 partitions in flight, as the fan-in has 64 workers: the same number of tasks at once on each side. */
const CONCURRENCY = Number(args.concurrency ?? 64);

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class RawTask extends task({ day: p.date() }) {
  async run(ctx: RunContext<RawTask>) { await ctx.output.write('raw ' + this.params.day); }
}
export class DayTask extends task({ day: p.date() }) {
  requires() { return new RawTask({ day: this.params.day }); }
  async run(ctx: RunContext<DayTask>) { await ctx.output.write((await ctx.input.readText()).toUpperCase()); }
}
export class AllDaysTask extends task({ from: p.date(), days: p.int() }) {
  requires() {
    const t0 = Date.parse(this.params.from);
    return Array.from({ length: this.params.days }, (_, i) => new DayTask({ day: new Date(t0 + i * 86400000).toISOString().slice(0, 10) }));
  }
  async run(ctx: RunContext<AllDaysTask>) { await ctx.output.write('done'); }
}
`;

const base = mkdtempSync('/dev/shm/nectar-bench-backfill-');
const chains = join(base, 'chains');
mkdirSync(join(chains, 'bench'), { recursive: true });
writeFileSync(join(chains, 'bench', 'days_chain.ts'), CHAIN);
const lastDay = new Date(Date.parse('2010-01-01') + (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);

function runtime(tag: string): Runtime {
  const config = loadConfig({ NECTAR_CHAINS: chains, NECTAR_TARGETS: join(base, `targets-${tag}`), NECTAR_WORKERS: '64', NECTAR_LOG_LEVEL: 'silent' });
  return new Runtime({ config, logger: pino({ level: 'silent' }) });
}

/** Main-process CPU (user + system, ms) of each side, beside the rates: less moved by other load than wall time. */
const cpu = { fan: [] as number[], back: [] as number[] };
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

async function fanIn(rep: number): Promise<number> {
  const rt = runtime(`fanin-${rep}`);
  const store = new SqliteRunStore(join(base, `runs-fanin-${rep}.db`));
  const runs = new RunManager(rt, store);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const sub = await runs.submit(rt.resolve('bench/AllDaysTask'), { from: '2010-01-01', days: DAYS });
  await runs.settled(sub.runId as string);
  const s = (performance.now() - t0) / 1000;
  cpu.fan.push(cpuMs(process.cpuUsage(c0)));
  const run = await store.getRun(sub.runId as string);
  if (run?.state !== 'SUCCEEDED' || (run.counts?.DONE ?? 0) !== 2 * DAYS + 1) throw new Error(`fan-in did not do the work: ${JSON.stringify(run)}`);
  await runs.close();
  await rt.close();
  await store.close();
  return (2 * DAYS) / s;
}

async function backfill(rep: number): Promise<number> {
  const rt = runtime(`backfill-${rep}`);
  const store = new SqliteRunStore(join(base, `runs-${rep}.db`));
  const runs = new RunManager(rt, store);
  const backfills = new Backfills(rt, runs);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const row = await backfills.start({ task: 'bench/DayTask', from: '2010-01-01', to: lastDay, concurrency: CONCURRENCY });
  await backfills.settled(row.id);
  const s = (performance.now() - t0) / 1000;
  cpu.back.push(cpuMs(process.cpuUsage(c0)));
  const d = await backfills.get(row.id);
  if (d.row.state !== 'SUCCEEDED' || d.progress.done !== DAYS) throw new Error(`backfill did not do the work: ${JSON.stringify(d.progress)}`);
  const ran = (await store.listRuns({ state: 'SUCCEEDED', limit: 1 })).total;
  if (ran !== DAYS) throw new Error(`expected ${DAYS} succeeded runs, found ${ran}`);
  await backfills.close();
  await runs.close();
  await rt.close();
  await store.close();
  return (2 * DAYS) / s;
}


async function main(): Promise<void> {
  const fan: number[] = [];
  const back: number[] = [];
  try {
    for (let rep = 0; rep < REPS; rep++) {
      if (ONLY !== 'backfill') fan.push(await fanIn(rep));
      if (ONLY !== 'fanin') back.push(await backfill(rep));
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const ratio = median(back) / median(fan);
  const perTask = (ms: number[]): number => (ms.length === 0 ? NaN : Math.round((median(ms) / (2 * DAYS)) * 1000) / 1000);
  const figure = { name: `backfill-${DAYS}`, tasks: 2 * DAYS, concurrency: CONCURRENCY, backfillTasksPerSecond: Math.round(median(back)), fanInTasksPerSecond: Math.round(median(fan)), ratio: Math.round(ratio * 100) / 100, floor: 0.8, met: ratio >= 0.8, cpuMsPerTask: { backfill: perTask(cpu.back), fanIn: perTask(cpu.fan) } };
  if (args.json) process.stdout.write(`${JSON.stringify({ bench: 'backfill', ...figure })}\n`);
  else {
    process.stdout.write(
      `backfill-${DAYS}: ${DAYS} partitions x 2 tasks, --concurrency ${CONCURRENCY}: ${figure.backfillTasksPerSecond} tasks/s beside one fan-in of the same tasks ${figure.fanInTasksPerSecond} tasks/s: ` +
        `ratio ${figure.ratio} (floor 0.8: ${figure.met ? 'met' : 'NOT MET'}); runs ${back.map(Math.round).join(', ')} vs ${fan.map(Math.round).join(', ')}; ` +
        `CPU per task ${figure.cpuMsPerTask.backfill} vs ${figure.cpuMsPerTask.fanIn} ms\n`,
    );
  }
}

void main();
