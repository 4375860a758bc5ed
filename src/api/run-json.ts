import type { RunRow, RunTrigger, TaskInRun, TaskRow } from '../runtime/types';
import type { RunNode, RunSummary, RunTriggerJson, TaskRunJson } from './wire';

/** How runs and their tasks are answered (`GET /api/runs`, a run's detail, its live snapshot, a task's history). */

export function triggerJson(t: RunTrigger): RunTriggerJson {
  if (t.kind === 'backfill') return { ...t, label: `backfill ${t.backfill.slice(0, 8)} ${t.partition}` };
  return { kind: t.kind, schedule: t.schedule, tick: t.tick, manual: t.manual === true, label: `schedule ${t.schedule}${t.manual ? ' (triggered by hand)' : ''}` };
}

/** started_at, ended_at and duration_ms of anything with optional start and end times. */
function timing(x: { startedAt?: number; endedAt?: number }): Pick<RunSummary, 'started_at' | 'ended_at' | 'duration_ms'> {
  return {
    started_at: x.startedAt ?? null,
    ended_at: x.endedAt ?? null,
    duration_ms: x.startedAt !== undefined && x.endedAt !== undefined ? x.endedAt - x.startedAt : null,
  };
}

export function runJson(run: RunRow, base: string): RunSummary {
  return {
    run_id: run.id,
    task_id: run.rootTaskId,
    task: run.ref,
    params: run.params,
    state: run.state,
    created_at: run.createdAt,
    ...timing(run),
    counts: run.counts ?? null,
    error: run.error ?? null,
    interrupted: run.interrupted ?? false,
    trigger: run.trigger ? triggerJson(run.trigger) : null,
    joined: run.joined ?? null,
    url: `${base}/api/runs/${run.id}`,
  };
}

export function nodeJson(t: TaskRow): RunNode {
  return {
    task_id: t.taskId,
    name: t.name,
    params: t.params,
    state: t.state,
    skipped: t.skipped,
    attempts: t.attempts,
    ...timing(t),
    error: t.error ?? null,
    deps: t.deps,
    stale: t.stale ?? null,
  };
}

/** One entry of a task's history. A skipped task did not run: no duration. */
export function taskRunJson({ run, task }: TaskInRun, base: string): TaskRunJson {
  const t = timing(task);
  return {
    run_id: run.id,
    run_url: `${base}/api/runs/${run.id}`,
    run_state: run.state,
    root: run.rootTaskId === task.taskId,
    ref: run.ref,
    state: task.state,
    skipped: task.skipped,
    attempts: task.attempts,
    created_at: run.createdAt,
    ...t,
    duration_ms: task.skipped ? null : t.duration_ms,
    error: task.error ?? null,
  };
}
