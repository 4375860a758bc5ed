import { NectarError } from '../core/errors';
import type { RunQuery, RunRow, TaskRow } from '../store/types';
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

/** Cancel a run in flight and wait until its end is recorded: the run as stored then. */
export async function cancelAndSettle(runs: RunManager, run: RunRow): Promise<RunRow> {
  if (!runs.cancel(run.id)) throw new NectarError('RUN_NOT_ACTIVE', `run ${run.id} is ${run.state}: only a run in flight can be cancelled`);
  await runs.settled(run.id);
  return (await runs.store.getRun(run.id)) ?? run;
}
