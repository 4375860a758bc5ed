import { NectarError } from '../core/errors';
import { newestFirst } from '../store/run-filter';
import { type RunQuery, type RunRow, TASK_RUNS_KEPT, type TaskInRun, type TaskRow } from '../store/types';
import type { RunManager } from './runs';

/** A run and the rows of its tasks, in the order they were first recorded. */
export interface RunWithTasks {
  readonly run: RunRow;
  readonly tasks: TaskRow[];
}

/** A page of run history, newest first; a run in flight here as it is now (the store lags behind). */
export async function listRuns(runs: RunManager, q: RunQuery): Promise<{ runs: RunRow[]; total: number }> {
  const page = await runs.store.listRuns(q);
  return { runs: page.runs.map((x) => runs.activeRun(x.id) ?? x), total: page.total };
}

/** One run and its tasks: a run in flight here from memory, else from the store; undefined if unknown. */
export async function findRun(runs: RunManager, id: string): Promise<RunWithTasks | undefined> {
  const run = runs.activeRun(id) ?? (await runs.store.getRun(id));
  if (!run) return undefined;
  const tasks = runs.recorder.activeTasks(id) ?? (await runs.store.getTasks(id));
  return { run, tasks };
}

/** The most runs `taskHistory` answers: what the stores keep per task. */
export const TASK_HISTORY_MAX = TASK_RUNS_KEPT;

/**
 * A task's history: the runs that recorded it, newest first, at most `limit` (see
 * `RunStore.taskRuns`). A run in flight here shows as it is now, its run and the task's row from
 * memory (the store lags behind), including one whose row is not written yet.
 */
export async function taskHistory(runs: RunManager, taskId: string, limit: number): Promise<TaskInRun[]> {
  const live = new Map(runs.recorder.rowsOf(taskId).map((t) => [t.runId, t]));
  const out = new Map<string, TaskInRun>();
  for (const x of await runs.store.taskRuns(taskId, limit)) out.set(x.run.id, { run: runs.activeRun(x.run.id) ?? x.run, task: live.get(x.run.id) ?? x.task });
  for (const task of live.values()) {
    const run = runs.activeRun(task.runId);
    if (run && !out.has(run.id)) out.set(run.id, { run, task });
  }
  return [...out.values()].sort((a, b) => newestFirst(a.run, b.run)).slice(0, limit);
}

/** Cancel a run in flight and wait until its end is recorded: the run as stored then. */
export async function cancelAndSettle(runs: RunManager, run: RunRow): Promise<RunRow> {
  if (!runs.cancel(run.id)) throw new NectarError('RUN_NOT_ACTIVE', `run ${run.id} is ${run.state}: only a run in flight can be cancelled`);
  await runs.settled(run.id);
  return (await runs.store.getRun(run.id)) ?? run;
}
