/**
 * The schedule runner's CPU cost with 1,000 schedules (BENCH.md): the runner, a real SQLite
 * run store, and the chains' compiled schedules, driven through two simulated hours on a
 * clock moved from wake-up to wake-up (it sleeps until the next tick, or 30 s). Fires go to a
 * no-op: the runs themselves are the runs' cost, not the runner's. Two mixes: 1,000 hourly
 * schedules spread over the hour, and 1,000 that all fire every minute (the worst case).
 * Prints ms of CPU per minute of schedule time.
 *
 * `node bin/run-ts.js bench/schedules.ts [--json]`
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Clock, ClockTimer } from '../src/core/clock';
import { discover } from '../src/discovery/discover';
import { ScheduleRunner } from '../src/runtime/schedule-runner';
import { SqliteRunStore } from '../src/store/sqlite';

const { values: args } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const SCHEDULES = 1000;
const PER_TASK = 50;
const HOURS = 2;

/** A clock the bench moves: timers are recorded, the earliest is where time goes next. */
class SteppedClock implements Clock {
  t = Date.parse('2026-06-01T00:00:10Z');
  readonly timers = new Set<{ at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer = { at: this.t + ms, fn };
    this.timers.add(timer);
    return { cancel: () => void this.timers.delete(timer) };
  }
  next(): number {
    let min = Infinity;
    for (const x of this.timers) min = Math.min(min, x.at);
    return min;
  }
}

function chainOf(cron: (i: number) => string): string {
  const tasks: string[] = [];
  for (let t = 0; t < SCHEDULES / PER_TASK; t++) {
    const specs = Array.from({ length: PER_TASK }, (_, j) => `{ name: 's${j}', cron: '${cron(t * PER_TASK + j)}', params: (tick) => ({ at: tick.at.toISOString() }) }`);
    tasks.push(`export class T${t}Task extends task({ at: p.string() }, { schedules: [${specs.join(", ")}] }) { async run(ctx: RunContext<T${t}Task>) { await ctx.output.write('x'); } }`);
  }
  return `import { p, task, type RunContext } from 'nectar';\n${tasks.join('\n')}\n`;
}

async function measure(base: string, name: string, cron: (i: number) => string): Promise<{ name: string; cpuMsPerMinute: number; fires: number; looks: number }> {
  const dir = join(base, name);
  mkdirSync(join(dir, 'chains', 'bench'), { recursive: true });
  writeFileSync(join(dir, 'chains', 'bench', 'many_chain.ts'), chainOf(cron));
  const registry = discover(join(dir, 'chains'));
  if (registry.schedules.length !== SCHEDULES) throw new Error(`expected ${SCHEDULES} schedules, got ${registry.schedules.length} in ${registry.tasks.length} tasks: ${JSON.stringify(registry.problems.slice(0, 2))}`);
  const store = new SqliteRunStore(join(dir, 'runs.db'));
  const clock = new SteppedClock();
  let fires = 0;
  const runner = new ScheduleRunner({ schedules: registry.schedules, store, clock, logger: pino({ level: 'silent' }), fire: async () => void fires++ });
  await runner.start();
  const end = clock.t + HOURS * 3_600_000;
  let looks = 0;
  const cpu0 = process.cpuUsage();
  for (;;) {
    const at = clock.next();
    if (at > end) break;
    clock.t = at;
    looks++;
    await runner.poll();
  }
  const used = process.cpuUsage(cpu0);
  await runner.stop();
  await store.close();
  return { name, cpuMsPerMinute: Math.round(((used.user + used.system) / 1000 / (HOURS * 60)) * 10) / 10, fires, looks };
}

async function main(): Promise<void> {
  const base = mkdtempSync('/dev/shm/nectar-bench-schedules-');
  try {
    const hourly = await measure(base, 'hourly', (i) => `${i % 60} * * * *`);
    const minutely = await measure(base, 'every-minute', () => '* * * * *');
    if (args.json) process.stdout.write(`${JSON.stringify({ bench: 'schedules', schedules: SCHEDULES, hours: HOURS, results: [hourly, minutely] })}\n`);
    else {
      for (const r of [hourly, minutely]) {
        process.stdout.write(`schedule-runner ${SCHEDULES} ${r.name} schedules: ${r.cpuMsPerMinute} ms CPU per minute (${r.fires} ticks fired and claimed in SQLite over ${HOURS} simulated hours, ${r.looks} looks)\n`);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

void main();
