/**
 * A task's `executor` option accepts exactly what a chain may set: 'inprocess' or 'process'.
 * The `@ts-expect-error` lines are the type-level half: `npx tsc --noEmit -p tsconfig.json`
 * (which includes test/) fails if 'bullmq' ever type-checks there again.
 */
import { NectarError } from '../../src/core/errors';
import type { ExecutorKind, TaskExecutor, TaskOptions } from '../../src/core/options';
import { optionsOf } from '../../src/core/task';
import { task } from '../../src/index';

class InProcessTask extends task({}, { executor: 'inprocess' }) {
  run() {}
}
class ProcessTask extends task({}, { executor: 'process' }) {
  run() {}
}
// @ts-expect-error distributed mode is chosen for a run, not by a task
class BullTask extends task({}, { executor: 'bullmq' }) {
  run() {}
}
class StaticBullTask extends task({}) {
  // @ts-expect-error the same through `static options`
  static override readonly options: TaskOptions = { executor: 'bullmq' };
  run() {}
}

describe('the executor option of a task', () => {
  it('takes inprocess and process', () => {
    expect(optionsOf(InProcessTask).executor).toBe('inprocess');
    expect(optionsOf(ProcessTask).executor).toBe('process');
  });

  it.each([BullTask, StaticBullTask])('refuses bullmq at load too, for a chain not type-checked (%p)', (cls) => {
    const err = (() => {
      try {
        optionsOf(cls);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NectarError);
    expect(err).toMatchObject({ code: 'BAD_TASK_DEFINITION', message: `${cls.name}: option 'executor' must be 'inprocess' or 'process'` });
  });

  it('is a narrower type than the executors a run may use', () => {
    const fromTask: TaskExecutor = 'process';
    const forRun: ExecutorKind = fromTask;
    // @ts-expect-error a run's executor is not necessarily one a task may name
    const back: TaskExecutor = 'bullmq' as ExecutorKind;
    expect([forRun, back]).toEqual(['process', 'bullmq']);
  });
});
