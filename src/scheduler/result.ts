import type { SerializedError } from '../core/errors';
import { TASK_STATES, type RunState, type TaskState } from '../core/states';
import type { RunResult, TaskRecord } from './types';

/** What a run's end is made of. */
export interface RunEnd {
  runId: string;
  rootIds: readonly string[];
  records: ReadonlyMap<string, TaskRecord>;
  failures: readonly TaskRecord[];
  cancelled: boolean;
  /** The DAG could not be built. */
  error: SerializedError | undefined;
  durationMs: number;
}

/** A run's result from its task records: counts by state, ran and skipped, and its state (cancelled, succeeded only if every root is DONE and nothing failed). */
export function runResult(e: RunEnd): RunResult {
  const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  let skipped = 0;
  let stale = 0;
  for (const r of e.records.values()) {
    counts[r.state]++;
    if (r.skipped) skipped++;
    if (r.stale) stale++;
  }
  const allRootsDone = e.rootIds.every((id) => e.records.get(id)?.state === 'DONE');
  const state: RunState = e.cancelled ? 'CANCELLED' : allRootsDone && e.failures.length === 0 && !e.error ? 'SUCCEEDED' : 'FAILED';
  return {
    ...(e.error ? { error: e.error } : {}),
    runId: e.runId,
    rootIds: e.rootIds,
    state,
    tasks: e.records,
    counts,
    ran: counts.DONE - skipped,
    skipped,
    stale,
    durationMs: e.durationMs,
    failures: e.failures,
  };
}
