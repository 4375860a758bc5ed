import { type NectarError, type SerializedError, isNonRetryable, serializeError } from '../core/errors';
import type { AttemptAbort } from '../core/executor';
import { retryDelayFor } from '../core/options';
import type { FAILED_LIKE_TASK_STATES } from '../core/states';
import { taskOptions } from '../core/task';
import type { Dag } from '../dag/graph';
import type { TaskRecords } from './records';
import type { TaskRecord } from './types';

/** What becomes of a task whose attempt failed: its next state, the error, and for a retry (PENDING) its delay. */
export interface AfterFailure {
  readonly to: 'CANCELLED' | 'PENDING' | 'FAILED';
  readonly error: SerializedError;
  readonly delayMs: number;
}

/**
 * Retry or fail: an attempt that failed because it or its run was cancelled ends CANCELLED;
 * one with retries left and an error worth retrying goes back to PENDING for its backoff;
 * any other ends FAILED.
 */
export function afterFailure(rec: TaskRecord, err: unknown, ctl: AttemptAbort, runCancelled: boolean): AfterFailure {
  const opts = taskOptions(rec.task);
  const error = serializeError(err);
  // A task that threw a plain Error failed as a task: the code the error table promises.
  error.code ??= 'TASK_FAILED';
  if (runCancelled || (ctl.reason as NectarError | undefined)?.code === 'CANCELLED') return { to: 'CANCELLED', error, delayMs: 0 };
  if (rec.attempts <= opts.retries && !isNonRetryable(err)) return { to: 'PENDING', error, delayMs: retryDelayFor(opts, rec.attempts) };
  return { to: 'FAILED', error, delayMs: 0 };
}

/**
 * Failure propagation: when a task ends without its outputs, every task downstream that is
 * PENDING with no attempt in flight can never run, and ends UPSTREAM_FAILED (CANCELLED when
 * the first one was cancelled) naming the cause. One with an attempt in flight (a task that
 * required the failed one from its run) ends by that attempt instead.
 */
export class FailurePropagation {
  constructor(
    private readonly graph: Dag['graph'],
    private readonly records: TaskRecords,
    private readonly running: ReadonlyMap<string, unknown>,
    /** Tasks still waiting for dependencies: task id -> how many. */
    private readonly waitingOn: Map<string, number>,
  ) {}

  /** Task `id` ended `state` (not DONE): strand what is downstream of it; `cause`: what made it end, itself by default. */
  downstream(id: string, state: (typeof FAILED_LIKE_TASK_STATES)[number], cause: string | undefined, dependants: readonly string[]): void {
    const to = state === 'CANCELLED' ? 'CANCELLED' : 'UPSTREAM_FAILED';
    const why = cause ?? id;
    // Iterative, so a 100,000-deep chain does not overflow the stack.
    const stack = [...dependants];
    while (stack.length > 0) {
      const d = stack.pop() as string;
      const r = this.records.byId.get(d);
      if (!r || r.state !== 'PENDING' || this.running.has(d)) continue;
      this.waitingOn.delete(d);
      this.records.end(r, to, undefined, why);
      stack.push(...(this.graph.successors(d) ?? []));
    }
  }
}
