/**
 * The JSON of a task's history across runs (`GET /api/tasks/<id>/runs`), as types: part of the
 * API's wire module (wire.ts re-exports them; the UI imports them from there).
 */
import type { SerializedError } from '../core/errors';
import type { RunState, TaskState } from '../core/states';

/** One run a task was recorded in (`GET .../runs`): the run, and the task as it went in it. Times are epoch milliseconds. */
export interface TaskRunJson {
  run_id: string;
  run_url: string;
  run_state: RunState;
  /** The task is the run's root (else it was a dependency). */
  root: boolean;
  /** The run's root task reference (`type/chain/Task`). */
  ref: string;
  /** The task's state in that run. */
  state: TaskState;
  /** DONE because its outputs already existed. */
  skipped: boolean;
  attempts: number;
  /** When the run was created. */
  created_at: number;
  /** The task's. */
  started_at: number | null;
  ended_at: number | null;
  /** ended_at - started_at for a task that ran; null otherwise. */
  duration_ms: number | null;
  error: SerializedError | null;
}

/** `GET /api/tasks/:type/:chain/:task/:hash/runs`: the runs that recorded a task, newest first (none for a task that never ran). */
export interface TaskRunsAnswer {
  task_id: string;
  runs: TaskRunJson[];
}
