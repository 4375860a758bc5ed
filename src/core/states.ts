import type { SerializedError } from './errors';

/**
 * Task and run states, the sets they fall into, and the task-state transitions the scheduler
 * may make: the one state model of nectar (DESIGN.md "Run semantics"). This module imports
 * nothing but types, so the UI uses it too (through the API's wire module).
 *
 * DONE also covers "already complete, skipped": the `skipped` flag on events says which.
 * QUEUED: handed to an executor whose attempts wait in a queue (distributed mode) and not
 * started by a worker yet; RUNNING once one has.
 */
export const TASK_STATES = ['PENDING', 'QUEUED', 'RUNNING', 'DONE', 'FAILED', 'UPSTREAM_FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** SKIPPED: a run recorded for a schedule's tick whose task was already complete (or already running): nothing ran. */
export const RUN_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** States a task never leaves within one run. */
export const FINISHED_TASK_STATES = ['DONE', 'FAILED', 'UPSTREAM_FAILED', 'CANCELLED'] as const satisfies readonly TaskState[];
/** Finished without its outputs: what a dependant cannot start after (it becomes UPSTREAM_FAILED or CANCELLED). */
export const FAILED_LIKE_TASK_STATES = ['FAILED', 'UPSTREAM_FAILED', 'CANCELLED'] as const satisfies readonly TaskState[];
/** Handed to an executor: an attempt is waiting for a worker or running. */
export const IN_FLIGHT_TASK_STATES = ['QUEUED', 'RUNNING'] as const satisfies readonly TaskState[];
/** Not started on any worker yet: what an interrupted run's tasks become CANCELLED from (RUNNING ones FAILED). */
export const NOT_STARTED_TASK_STATES = ['PENDING', 'QUEUED'] as const satisfies readonly TaskState[];
/** A run that has not ended. */
export const ACTIVE_RUN_STATES = ['QUEUED', 'RUNNING'] as const satisfies readonly RunState[];
/** A run that has ended. */
export const FINISHED_RUN_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const satisfies readonly RunState[];

const has = <S extends string>(set: readonly S[], s: string): s is S => (set as readonly string[]).includes(s);

/** True for states a task never leaves within one run. */
export function isTerminal(state: TaskState): boolean {
  return has(FINISHED_TASK_STATES, state);
}

/** FAILED, UPSTREAM_FAILED or CANCELLED. */
export function isFailedLike(state: TaskState): boolean {
  return has(FAILED_LIKE_TASK_STATES, state);
}

/** PENDING or QUEUED. */
export function isNotStarted(state: TaskState): boolean {
  return has(NOT_STARTED_TASK_STATES, state);
}

/** QUEUED or RUNNING. */
export function isInFlight(state: TaskState): boolean {
  return has(IN_FLIGHT_TASK_STATES, state);
}

export function isActiveRun(state: RunState): boolean {
  return has(ACTIVE_RUN_STATES, state);
}

/**
 * Every task-state change the scheduler may make, from -> to; the scheduler throws on any
 * other (a bug of its own). A task enters a run (`NEW`) PENDING, or DONE at once when its
 * outputs exist (the skip). PENDING -> RUNNING or QUEUED when an attempt starts; QUEUED ->
 * RUNNING when a worker takes it; an attempt (queued or running) ends DONE, FAILED,
 * CANCELLED, or back to PENDING for a retry; only a task with no attempt in flight (one
 * waiting for its retry included) ends UPSTREAM_FAILED or CANCELLED when what it needs
 * cannot be had. A pending task never becomes DONE without an attempt.
 */
export const TASK_TRANSITIONS: { readonly [S in TaskState | 'NEW']: readonly TaskState[] } = {
  NEW: ['PENDING', 'DONE', 'FAILED'],
  PENDING: ['QUEUED', 'RUNNING', 'UPSTREAM_FAILED', 'CANCELLED'],
  QUEUED: ['RUNNING', 'PENDING', 'DONE', 'FAILED', 'CANCELLED'],
  RUNNING: ['PENDING', 'DONE', 'FAILED', 'CANCELLED'],
  DONE: [],
  FAILED: [],
  UPSTREAM_FAILED: [],
  CANCELLED: [],
};

/** Whether a task may go from `from` (`NEW`: not in the run yet) to `to`. */
export function canTransition(from: TaskState | 'NEW', to: TaskState): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/** How far one task got within one run: what the scheduler tracks and the run store keeps. Times are epoch ms. */
export interface TaskProgress {
  state: TaskState;
  /** DONE because its outputs already existed. */
  skipped: boolean;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  error?: SerializedError;
  /** Ids of the tasks it required (dynamic requirements included). */
  deps: string[];
  /** Complete but stale when the run looked: why (rebuilt, kept or failed as the stale policy says). */
  stale?: readonly string[];
}
