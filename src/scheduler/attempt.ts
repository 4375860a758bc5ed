import { NectarError } from '../core/errors';
import type { ExecutorKind } from '../core/options';
import { taskOptions } from '../core/task';
import type { AttemptHooks } from './shared';
import type { SchedulerOptions, TaskRecord } from './types';

/** The executor a task's attempts go to: its own choice, else the run's, else in-process. */
export function executorKind(rec: TaskRecord, o: SchedulerOptions): ExecutorKind {
  return taskOptions(rec.task).executor ?? o.executor ?? 'inprocess';
}

/** Hand one attempt of a task to its executor, with the hooks it reports through; rejects when the run lacks that executor. */
export function attempt(o: SchedulerOptions, rec: TaskRecord, hooks: AttemptHooks): Promise<void> {
  const kind = executorKind(rec, o);
  const executor = o.executors[kind];
  if (!executor) return Promise.reject(new NectarError('BAD_TASK_DEFINITION', `${rec.task} wants the '${kind}' executor, which this run does not have`));
  const { events, runId, store } = o;
  const wantsLog = events.hasListeners('task:log');
  return executor.execute({ runId, task: rec.task, attempt: rec.attempts, store, abort: hooks.abort, onLog: hooks.onLog, wantsLog, require: hooks.require, onStarted: hooks.onStarted });
}
