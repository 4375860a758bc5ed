import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskLog } from './task-log';

const current = new AsyncLocalStorage<TaskLog>();

/**
 * Run a task's code with its log as the place its `console.*` output goes (see
 * `routeConsole` in the runtime): what a task prints belongs to the task, not to the stdout of
 * whatever process runs it (`nectar run --json` must stay JSON).
 */
export function runWithTaskLog<T>(log: TaskLog, fn: () => T): T {
  return current.run(log, fn);
}

/** The log of the task whose code is running now, if any. */
export function currentTaskLog(): TaskLog | undefined {
  return current.getStore();
}
