import type { SerializedError } from '../core/errors';
import type { Json } from '../core/identity';
import { TASK_STATES, type TaskState } from '../core/states';
import type { RunTrigger } from './types';

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
  if (!isObject(v) || v.kind !== 'schedule' || typeof v.schedule !== 'string' || typeof v.tick !== 'number') return undefined;
  return { kind: 'schedule', schedule: v.schedule, tick: v.tick, ...(v.manual === true ? { manual: true } : {}) };
}

/** A paging number: whole, within bounds, the fallback when absent. */
export function clampInt(v: number | undefined, fallback: number, min: number, max: number): number {
  const n = v === undefined || !Number.isFinite(v) ? fallback : Math.trunc(v);
  return Math.min(max, Math.max(min, n));
}

/** The errors `markInterrupted` records, the same in every store. */
export const RUN_INTERRUPTED: SerializedError = { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this run was in flight: retry it' };
export const TASK_INTERRUPTED: SerializedError = { name: 'NectarError', code: 'INTERRUPTED', message: 'the server stopped while this task ran' };
