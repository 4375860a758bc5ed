/**
 * Small chains for trying the UI (and for its end-to-end tests):
 *
 *   StepsTask: three tasks in a row, each logging a line per step and sleeping between steps,
 *     so you can watch states change and follow a log live.
 *     npx nectar run testchains/StepsTask --param steps=5
 *   BrokenTask: requires a task that always fails, to see a stack trace in the UI.
 *   WideTask: requires `n` LeafTasks (a family of n), to see a big graph collapse.
 *   AuditTask: requires `n` CheckTasks, some failing in two ways: failures grouped by error.
 *   ReportTask: the three stages and `n` LoadTasks of varied lengths side by side, then a
 *     summary: a timeline with a critical path and a family's spread.
 *     npx nectar run testchains/WideTask --param n=5000
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NonRetryableError, p, task, type RunContext } from 'nectar';

const STAGES = ['extract', 'transform', 'load'] as const;

/** One stage: requires the stage before it, logs `steps` lines `ms` apart, then writes how long it took. */
export class StepTask extends task({
  stage: p.enum(STAGES, { description: 'extract, transform or load' }),
  steps: p.int({ default: 3, min: 0, max: 10_000, description: 'lines to log' }),
  ms: p.int({ default: 300, min: 0, max: 60_000, description: 'pause after each line, in milliseconds' }),
}) {
  requires() {
    const before = STAGES[STAGES.indexOf(this.params.stage) - 1];
    return before ? [new StepTask({ ...this.params, stage: before })] : [];
  }

  async run(ctx: RunContext<StepTask>) {
    const t0 = Date.now();
    for (let i = 1; i <= this.params.steps; i++) {
      ctx.log.info(`${this.params.stage}: step ${i} of ${this.params.steps}`);
      await sleep(this.params.ms, undefined, { signal: ctx.signal });
    }
    await ctx.output.write(`${this.params.stage} took ${Date.now() - t0} ms\n`);
  }
}

/** extract → transform → load, then a summary of the three. */
export class StepsTask extends task({
  steps: p.int({ default: 3, min: 0, max: 10_000, description: 'lines each stage logs' }),
  ms: p.int({ default: 300, min: 0, max: 60_000, description: 'pause after each line, in milliseconds' }),
}) {
  requires() {
    return new StepTask({ stage: 'load', ...this.params });
  }

  async run(ctx: RunContext<StepsTask>) {
    await ctx.output.write(await ctx.input.readText());
  }
}

/** Always fails, on purpose and without retries. */
export class FailingTask extends task({ reason: p.string({ default: 'the source file is corrupt' }) }) {
  async run(_ctx: RunContext<FailingTask>): Promise<void> {
    throw new NonRetryableError(`cannot parse input: ${this.params.reason}`);
  }
}

/** Requires FailingTask, so it ends UPSTREAM_FAILED. */
export class BrokenTask extends task({ reason: p.string({ default: 'the source file is corrupt' }) }) {
  requires() {
    return new FailingTask({ reason: this.params.reason });
  }

  async run(ctx: RunContext<BrokenTask>) {
    await ctx.output.write(await ctx.input.readText());
  }
}

/** One of many: writes its number. */
export class LeafTask extends task({ i: p.int({ min: 0 }) }) {
  async run(ctx: RunContext<LeafTask>) {
    await ctx.output.write(`${this.params.i}\n`);
  }
}

/** Requires `n` LeafTasks and sums their numbers. */
export class WideTask extends task({ n: p.int({ default: 100, min: 1, max: 100_000, description: 'how many LeafTasks' }) }) {
  requires() {
    return Array.from({ length: this.params.n }, (_, i) => new LeafTask({ i }));
  }

  async run(ctx: RunContext<WideTask>) {
    let sum = 0;
    for (const t of ctx.input) sum += Number(await t.readText());
    await ctx.output.write(`${sum}\n`);
  }
}

/** One file of many to check: every 7th is corrupt and every 11th missing (others pass). */
export class CheckTask extends task({ i: p.int({ min: 0 }) }) {
  async run(ctx: RunContext<CheckTask>) {
    if (this.params.i % 7 === 3) throw new NonRetryableError('checksum mismatch');
    if (this.params.i % 11 === 5) throw new NonRetryableError('the source file is missing');
    await ctx.output.write('ok\n');
  }
}

/** Checks `n` files, some of which fail: a family with failures of two kinds, to see them grouped. */
export class AuditTask extends task({ n: p.int({ default: 60, min: 1, max: 10_000, description: 'how many CheckTasks' }) }) {
  requires() {
    return Array.from({ length: this.params.n }, (_, i) => new CheckTask({ i }));
  }

  async run(ctx: RunContext<AuditTask>) {
    await ctx.output.write(`${ctx.input.length} files checked\n`);
  }
}

/** One partition to load: takes one to five times `ms / 3` (by `i`), then writes its number. */
export class LoadTask extends task({
  i: p.int({ min: 0 }),
  ms: p.int({ default: 300, min: 0, max: 60_000, description: 'a third of the shortest load, in milliseconds' }),
}) {
  async run(ctx: RunContext<LoadTask>) {
    await sleep((this.params.ms * (1 + ((this.params.i * 7) % 5))) / 3, undefined, { signal: ctx.signal });
    await ctx.output.write(`${this.params.i}\n`);
  }
}

/** A nightly report: extract → transform → load beside `n` loads of varied lengths, then one summary. */
export class ReportTask extends task({
  n: p.int({ default: 24, min: 1, max: 10_000, description: 'how many LoadTasks' }),
  ms: p.int({ default: 300, min: 0, max: 60_000, description: 'the pace of every task, in milliseconds' }),
}) {
  requires() {
    return [new StepsTask({ steps: 2, ms: this.params.ms }), ...Array.from({ length: this.params.n }, (_, i) => new LoadTask({ i, ms: this.params.ms }))];
  }

  async run(ctx: RunContext<ReportTask>) {
    await ctx.output.write(`${ctx.input.length - 1} partitions loaded\n`);
  }
}
