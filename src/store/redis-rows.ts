import { RUN_STATES, type RunState, TASK_STATES, type TaskState } from '../core/states';
import type { RunRow, ScheduleState, TaskRow } from './types';
import { isObject, toCounts, toError, toParams, toTrigger } from './rows';

/** How the Redis run store keeps rows: JSON text, checked field by field when read back (another version may have written it). */

function parseObject(text: string | null | undefined): Record<string, unknown> | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
const isRunState = (v: unknown): v is RunState => RUN_STATES.some((s) => s === v);
const isTaskState = (v: unknown): v is TaskState => TASK_STATES.some((s) => s === v);

/** The stored JSON of a run: everything but the owner, which is a field of its own (claims change it alone). */
export const runJson = (run: RunRow): string => JSON.stringify({ ...run, owner: undefined });

/** A stored run back to a row; a field that does not parse is absent, a row without its essentials is skipped. */
export function runFromJson(text: string | null | undefined, owner: string | null | undefined): RunRow | undefined {
  const o = parseObject(text);
  if (!o || !isStr(o.id) || !isStr(o.rootTaskId) || !isStr(o.ref) || !isRunState(o.state) || !isNum(o.createdAt)) return undefined;
  const run: RunRow = { id: o.id, rootTaskId: o.rootTaskId, ref: o.ref, params: toParams(o.params), state: o.state, createdAt: o.createdAt };
  if (isNum(o.startedAt)) run.startedAt = o.startedAt;
  if (isNum(o.endedAt)) run.endedAt = o.endedAt;
  const error = toError(o.error);
  if (error !== undefined) run.error = error;
  const counts = toCounts(o.counts);
  if (counts !== undefined) run.counts = counts;
  if (typeof o.interrupted === 'boolean') run.interrupted = o.interrupted;
  if (owner !== null && owner !== undefined) run.owner = owner;
  const trigger = toTrigger(o.trigger);
  if (trigger !== undefined) run.trigger = trigger;
  if (isStr(o.joined)) run.joined = o.joined;
  return run;
}

/** A stored task row back to a row, as `runFromJson` does. */
export function taskFromJson(text: string | null | undefined): TaskRow | undefined {
  const o = parseObject(text);
  if (!o || !isStr(o.runId) || !isStr(o.taskId) || !isStr(o.name) || !isTaskState(o.state)) return undefined;
  const row: TaskRow = {
    runId: o.runId, taskId: o.taskId, name: o.name, params: toParams(o.params), state: o.state,
    skipped: o.skipped === true, attempts: isNum(o.attempts) ? o.attempts : 0,
    deps: Array.isArray(o.deps) ? o.deps.filter(isStr) : [],
  };
  if (isNum(o.startedAt)) row.startedAt = o.startedAt;
  if (isNum(o.endedAt)) row.endedAt = o.endedAt;
  const error = toError(o.error);
  if (error !== undefined) row.error = error;
  if (Array.isArray(o.stale) && o.stale.every(isStr)) row.stale = o.stale;
  return row;
}

/** A schedule's hash back to its state; undefined without a cursor. */
export function scheduleFromHash(key: string, h: Record<string, string>): ScheduleState | undefined {
  const cursor = Number(h.cursor);
  if (h.cursor === undefined || !Number.isFinite(cursor)) return undefined;
  const s: ScheduleState = { key, paused: h.paused === '1', cursor, updatedAt: Number(h.updatedAt) || cursor };
  if (h.lastTick !== undefined && Number.isFinite(Number(h.lastTick))) s.lastTick = Number(h.lastTick);
  if (h.lastRunId !== undefined) s.lastRunId = h.lastRunId;
  if (h.deadlineCursor !== undefined && Number.isFinite(Number(h.deadlineCursor))) s.deadlineCursor = Number(h.deadlineCursor);
  return s;
}
