import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
const V = process.env.TOTALS_VERSION ?? '2';
export class DailyTotalsTask extends task({ day: p.string() }, { version: V }) {
  async run(ctx: RunContext<DailyTotalsTask>) { await ctx.output.write('totals ' + this.params.day + ' v' + V); }
}
export class TopDayTask extends task({ day: p.string() }) {
  requires() { return new DailyTotalsTask({ day: this.params.day }); }
  async run(ctx: RunContext<TopDayTask>) { await ctx.output.write('top of ' + (await ctx.input.readText())); }
}
export class ReportTask extends task({ day: p.string() }) {
  requires() { return new TopDayTask({ day: this.params.day }); }
  async run(ctx: RunContext<ReportTask>) { await ctx.output.write('report: ' + (await ctx.input.readText())); }
}
export class OtherTask extends task({}) {
  async run(ctx: RunContext<OtherTask>) { await ctx.output.write('other'); }
}
export class SummaryTask extends task({ day: p.string() }) {
  requires() { return [new ReportTask({ day: this.params.day }), new OtherTask()]; }
  async run(ctx: RunContext<SummaryTask>) { await ctx.output.write((await ctx.input[0]!.readText()) + ' + ' + (await ctx.input[1]!.readText())); }
}
/** Keeps its output when stale, whatever the run says. */
export class ArchiveTask extends task({}, { stale: 'keep' }) {
  requires() { return new OtherTask(); }
  async run(ctx: RunContext<ArchiveTask>) { await ctx.output.write('archived ' + (await ctx.input.readText())); }
}
`;

interface PlanEntry {
  task: string;
  action: 'run' | 'complete' | 'stale';
  reasons?: string[];
  policy?: string;
}
interface Summary {
  ran: number;
  skipped: number;
  state: string;
  stale: { total: number; rebuilt: number; kept: number; failed: number; tasks: { task_id: string; reasons: string[] }[] };
  failures: { task_id: string; error: { code: string; message: string } }[];
}

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = tempDir();
  env = { ...process.env, NECTAR_CHAINS: writeChains(dir, { 'fresh/days_chain.ts': CHAIN }), NECTAR_TARGETS: join(dir, 'targets'), NECTAR_LOG_LEVEL: 'warn' };
});
afterAll(() => rmDir(dir));

function nectar(args: string[], extra: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/nectar.js'), ...args], { env: { ...env, ...extra }, encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const run = (args: string[], extra: NodeJS.ProcessEnv = {}): Summary => JSON.parse(nectar(['run', ...args, '--json'], extra).out) as Summary;
const plan = (args: string[], extra: NodeJS.ProcessEnv = {}): PlanEntry[] => (JSON.parse(nectar(['plan', ...args, '--json'], extra).out) as { plan: PlanEntry[] }).plan;
const byName = (entries: PlanEntry[]): Record<string, PlanEntry> => Object.fromEntries(entries.map((e) => [e.task.slice(0, e.task.indexOf('(')), e]));
const v3 = { TOTALS_VERSION: '3' };
const day = ['-p', 'day=2026-11-30'];

describe('stale outputs', () => {
  it('an upstream version change makes exactly its dependants stale, with reasons, and a run rebuilds exactly those', () => {
    expect(run(['fresh/SummaryTask', ...day])).toMatchObject({ state: 'SUCCEEDED', ran: 5 });
    expect(plan(['fresh/SummaryTask', ...day]).every((e) => e.action === 'complete')).toBe(true);

    const p = byName(plan(['fresh/SummaryTask', ...day], v3));
    expect(Object.fromEntries(Object.entries(p).map(([k, e]) => [k, e.action]))).toEqual({
      DailyTotalsTask: 'run',
      TopDayTask: 'stale',
      ReportTask: 'stale',
      OtherTask: 'complete',
      SummaryTask: 'stale',
    });
    expect(p.TopDayTask?.reasons).toEqual(['upstream DailyTotalsTask version 2 → 3']);
    expect(p.ReportTask?.reasons).toEqual(['upstream TopDayTask is stale']);
    expect(p.SummaryTask).toMatchObject({ reasons: ['upstream ReportTask is stale'], policy: 'rebuild' });
    const text = nectar(['plan', 'fresh/SummaryTask', ...day], v3).out;
    expect(text).toContain('TopDayTask: upstream DailyTotalsTask version 2 → 3');
    expect(text).toContain('1 to run, 3 stale, 1 complete');

    // keep: nothing runs, the stale root is kept and counted.
    const kept = run(['fresh/SummaryTask', ...day, '--stale', 'keep'], v3);
    expect(kept).toMatchObject({ state: 'SUCCEEDED', ran: 0, stale: { total: 1, kept: 1 } });
    // fail: the run fails on the stale task, nothing runs, the reason is the error.
    const failed = nectar(['run', 'fresh/SummaryTask', ...day, '--stale', 'fail', '--json'], v3);
    expect(failed.code).toBe(1);
    const f = JSON.parse(failed.out) as Summary;
    expect(f).toMatchObject({ state: 'FAILED', ran: 0, stale: { total: 1, failed: 1 } });
    expect(f.failures[0]?.error).toMatchObject({ code: 'STALE' });
    expect(f.failures[0]?.error.message).toContain('upstream ReportTask is stale');

    // rebuild (the default): exactly the new upstream and the three stale dependants run.
    const rebuilt = run(['fresh/SummaryTask', ...day], v3);
    expect(rebuilt).toMatchObject({ state: 'SUCCEEDED', ran: 4, skipped: 1, stale: { total: 3, rebuilt: 3 } });
    expect(nectar(['run', 'fresh/SummaryTask', ...day, '--print'], v3).out).toBe('report: top of totals 2026-11-30 v3 + other');
    expect(plan(['fresh/SummaryTask', ...day], v3).map((e) => e.action)).toEqual(['complete']);
  });

  it('rebuilding an upstream output makes its dependants stale; a class may keep its stale output', () => {
    expect(run(['fresh/ArchiveTask'], v3)).toMatchObject({ state: 'SUCCEEDED' });
    expect(run(['fresh/SummaryTask', ...day], v3).ran).toBe(0);
    // OtherTask is built again (its output removed by hand, then run).
    const other = plan(['fresh/OtherTask'], v3)[0] as PlanEntry & { id: string };
    rmSync(join(dir, 'targets', 'chains', other.id, 'out.txt'));
    expect(run(['fresh/OtherTask'], v3).ran).toBe(1);
    const rebuiltAt = JSON.parse(readFileSync(join(dir, 'targets', 'chains', other.id, 'lineage.json'), 'utf8')).builtAt as string;

    const p = byName(plan(['fresh/SummaryTask', ...day], v3));
    expect(p.SummaryTask?.reasons).toEqual([`upstream OtherTask rebuilt ${rebuiltAt.slice(0, 19)}Z`]);
    expect(Object.values(p).filter((e) => e.action === 'stale')).toHaveLength(1);
    expect(run(['fresh/SummaryTask', ...day], v3)).toMatchObject({ ran: 1, stale: { total: 1, rebuilt: 1 } });

    // ArchiveTask is stale too, but keeps its output by its own option.
    expect(byName(plan(['fresh/ArchiveTask'], v3)).ArchiveTask).toMatchObject({ action: 'stale', policy: 'keep' });
    expect(run(['fresh/ArchiveTask'], v3)).toMatchObject({ ran: 0, stale: { total: 1, kept: 1 } });
  });

  it('gc lists, then removes, only the folders nothing current produces: an outdated version, a class gone', () => {
    // A class that is then deleted from the chains folder.
    const gone = writeChains(dir, { 'fresh/gone_chain.ts': "import { task } from 'nectar';\nexport class GoneTask extends task({}) { async run(ctx: any) { await ctx.output.write('bye'); } }\n" });
    expect(run(['fresh/GoneTask'], v3).ran).toBe(1);
    const goneId = (plan(['fresh/GoneTask'], v3)[0] as PlanEntry & { id: string }).id;
    rmSync(join(gone, 'fresh', 'gone_chain.ts'));
    const v2Totals = (plan(['fresh/DailyTotalsTask', ...day])[0] as PlanEntry & { id: string }).id;
    const gcJson = (args: string[]) => JSON.parse(nectar(['gc', ...args, '--json'], v3).out) as { dry_run: boolean; removed: number; folders: { task_id: string; why: string }[] };

    const dry = gcJson([]);
    expect(dry).toMatchObject({ dry_run: true, removed: 0 });
    expect(Object.fromEntries(dry.folders.map((f) => [f.task_id, f.why]))).toEqual({
      [v2Totals]: 'an outdated version (2; today 3)',
      [goneId]: 'no task fresh/gone_chain/GoneTask is discovered any more',
    });
    expect(gcJson(['--older-than', '1d']).folders).toEqual([]); // all of them were built just now
    expect(nectar(['gc', '--older-than', 'soon'], v3).code).toBe(2);

    const done = nectar(['gc', '--yes'], v3);
    expect(done.code).toBe(0);
    expect(done.out).toContain('removed');
    expect(gcJson([]).folders).toEqual([]);
    expect(plan(['fresh/SummaryTask', ...day], v3).map((e) => e.action)).toEqual(['complete']); // what is current stays
  });
});
