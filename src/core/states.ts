import type { SerializedError } from './errors';

/**
 * Task and run states as string unions (DESIGN.md "Run semantics").
 * DONE also covers "already complete, skipped": the `skipped` flag on events says which.
 * QUEUED: handed to an executor whose attempts wait in a queue (distributed mode) and not
 * started by a worker yet; RUNNING once one has.
 */
export const TASK_STATES = ['PENDING', 'QUEUED', 'RUNNING', 'DONE', 'FAILED', 'UPSTREAM_FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const RUN_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunState = (typeof RUN_STATES)[number];

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
}

/** True for states a task never leaves within one run. */
export function isTerminal(state: TaskState): boolean {
  switch (state) {
    case 'DONE':
    case 'FAILED':
    case 'UPSTREAM_FAILED':
    case 'CANCELLED':
      return true;
    case 'PENDING':
    case 'QUEUED':
    case 'RUNNING':
      return false;
    default: {
      const never: never = state;
      return never;
    }
  }
}
