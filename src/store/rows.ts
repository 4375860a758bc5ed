import type { SerializedError } from '../core/errors';
import type { Json } from '../core/identity';
import { TASK_STATES, type TaskState } from '../core/states';
import { BACKFILL_STATES, type BackfillPart, type BackfillRow, PART_STATES, type RunTrigger } from './types';

/** What both run stores share when they turn stored JSON back into rows. */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const toParams = (v: unknown): { [key: string]: Json } => (isObject(v) ? (v as { [key: string]: Json }) : {});

export const toError = (v: unknown): SerializedError | undefined =>
  isObject(v) && typeof v.name === 'string' && typeof v.message === 'string' ? (v as unknown as SerializedError) : undefined;

export function toCounts(v: unknown): Partial<Record<TaskState, number>> | undefined {
  if (!isObject(v)) return undefined;
  const out: Partial<Record<TaskState, number>> = {};
  for (const [k, n] of Object.entries(v)) if (TASK_STATES.some((s) => s === k) && typeof n === 'number') out[k as TaskState] = n;
  return out;
}

/** A stored trigger back to its type; undefined when it is not one this version knows. */
export function toTrigger(v: unknown): RunTrigger | undefined {
  if (!isObject(v)) return undefined;
  if (v.kind === 'schedule' && typeof v.schedule === 'string' && typeof v.tick === 'number') {
    return { kind: 'schedule', schedule: v.schedule, tick: v.tick, ...(v.manual === true ? { manual: true } : {}) };
  }
  if (v.kind === 'backfill' && typeof v.backfill === 'string' && typeof v.partition === 'string') return { kind: 'backfill', backfill: v.backfill, partition: v.partition };
  return undefined;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A stored backfill (JSON text, written by any version) back to a row; undefined without its essentials. */
export function backfillFromJson(text: string | null | undefined): BackfillRow | undefined {
  let o: unknown;
  try {
    o = text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
  if (!isObject(o) || typeof o.id !== 'string' || typeof o.ref !== 'string' || typeof o.over !== 'string' || !isStrings(o.values)) return undefined;
  if (!BACKFILL_STATES.some((s) => s === o.state) || typeof o.createdAt !== 'number' || typeof o.concurrency !== 'number') return undefined;
  const b: BackfillRow = {
    id: o.id, ref: o.ref, over: o.over, values: o.values, params: toParams(o.params), concurrency: o.concurrency,
    range: typeof o.range === 'string' ? o.range : 'list', state: o.state as BackfillRow['state'], createdAt: o.createdAt,
  };
  if (typeof o.endedAt === 'number') b.endedAt = o.endedAt;
  if (typeof o.owner === 'string') b.owner = o.owner;
  return b;
}

/** A stored partition state back to a part; PENDING when it does not parse. */
export function partOf(backfillId: string, value: string, state: unknown, runId: unknown): BackfillPart {
  const part: BackfillPart = { backfillId, value, state: PART_STATES.find((s) => s === state) ?? 'PENDING' };
  if (typeof runId === 'string' && runId !== '') part.runId = runId;
  return part;
}

/** A paging number: whole, within bounds, the fallback when absent. */
export function clampInt(v: number | undefined, fallback: number, min: number, max: number): number {
  const n = v === undefined || !Number.isFinite(v) ? fallback : Math.trunc(v);
  return Math.min(max, Math.max(min, n));
}

/** The errors `markInterrupted` records, the same in every store. */
export const RUN_INTERRUPTED: SerializedError = { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this run was in flight: retry it' };
export const TASK_INTERRUPTED: SerializedError = { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this task ran' };
