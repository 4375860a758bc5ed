import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskLog } from './task-log';

/**
 * Which task's code is running, so that what it prints with `console.*` goes to its log
 * (`routeConsole` in the runtime): what a task prints belongs to the task, not to the stdout of
 * whatever process runs it (`nectar run --json` must stay JSON). AsyncLocalStorage follows the
 * task through every await, so lines of tasks running at once never mix. On Node 20 it has a
 * cost on every promise of the process (measured in the issue 13 note: roughly 10-15% of a
 * no-op fan-in's rate); Node 22's AsyncContextFrame makes it nearly free.
 */
const current = new AsyncLocalStorage<TaskLog>();

/** Run a task's code with its log as the place its console output goes. */
export function runWithTaskLog<T>(log: TaskLog, fn: () => T): T {
  return current.run(log, fn);
}

/** The log of the task whose code is running now, if any. */
export function currentTaskLog(): TaskLog | undefined {
  return current.getStore();
}
