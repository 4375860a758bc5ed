import type { RunState, TaskState } from '../core/states';
import { toCounts, toError, toParams, toTrigger } from './rows';
import type { RunRow, TaskRow } from './types';

/** How the SQLite run store keeps rows: its columns, and a record read back to a row (a JSON field that does not parse is absent). */

export const RUN_COLS = 'id, root_task_id, ref, params, state, created_at, started_at, ended_at, error, counts, interrupted, owner, trigger, joined';
export const TASK_COLS = 'run_id, task_id, name, params, state, skipped, attempts, started_at, ended_at, error, deps, stale';

export interface RunRec {
  id: string; root_task_id: string; ref: string; params: string; state: string; created_at: number;
  started_at: number | null; ended_at: number | null; error: string | null; counts: string | null; interrupted: number | null;
  owner: string | null; trigger: string | null; joined: string | null;
}
export interface TaskRec {
  run_id: string; task_id: string; name: string; params: string; state: string; skipped: number; attempts: number;
  started_at: number | null; ended_at: number | null; error: string | null; deps: string;
  /** JSON list of reasons; null when not stale (and in rows of a nectar before lineage). */
  stale: string | null;
}
export type TaskWrite = TaskRec & { seq: number };

function parse(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
function toDeps(text: string): string[] {
  const v = parse(text);
  return Array.isArray(v) ? v.filter((d): d is string => typeof d === 'string') : [];
}
export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export function runFromRec(r: RunRec): RunRow {
  const run: RunRow = { id: r.id, rootTaskId: r.root_task_id, ref: r.ref, params: toParams(parse(r.params)), state: r.state as RunState, createdAt: r.created_at };
  if (r.started_at !== null) run.startedAt = r.started_at;
  if (r.ended_at !== null) run.endedAt = r.ended_at;
  const error = toError(parse(r.error));
  if (error !== undefined) run.error = error;
  const counts = toCounts(parse(r.counts));
  if (counts !== undefined) run.counts = counts;
  if (r.interrupted !== null) run.interrupted = r.interrupted !== 0;
  if (r.owner !== null) run.owner = r.owner;
  const trigger = toTrigger(parse(r.trigger));
  if (trigger !== undefined) run.trigger = trigger;
  if (r.joined !== null) run.joined = r.joined;
  return run;
}

export function taskFromRec(r: TaskRec): TaskRow {
  const row: TaskRow = {
    runId: r.run_id, taskId: r.task_id, name: r.name, params: toParams(parse(r.params)), state: r.state as TaskState,
    skipped: r.skipped !== 0, attempts: r.attempts, deps: toDeps(r.deps),
  };
  if (r.started_at !== null) row.startedAt = r.started_at;
  if (r.ended_at !== null) row.endedAt = r.ended_at;
  const error = toError(parse(r.error));
  if (error !== undefined) row.error = error;
  const stale = parse(r.stale);
  if (Array.isArray(stale) && stale.every((s) => typeof s === 'string')) row.stale = stale as string[];
  return row;
}
