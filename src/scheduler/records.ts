import { NectarError, type SerializedError } from '../core/errors';
import type { EventBus } from '../core/events';
import { type FINISHED_TASK_STATES, type TaskState, canTransition } from '../core/states';
import type { TaskRecord } from './types';

/**
 * The task records of one run, and the one place a task's state changes: checked against the
 * transition table (a change it does not allow is a bug of the scheduler, and throws) and
 * announced as a `task:state` event. Counts the tasks that have not ended, so the run knows
 * when it is over.
 */
export class TaskRecords {
  readonly byId = new Map<string, TaskRecord>();
  /** FAILED tasks in the order they failed. */
  readonly failures: TaskRecord[] = [];
  #open = 0;

  constructor(
    private readonly events: EventBus,
    private readonly runId: string,
  ) {}

  /** Tasks in the run that have not ended. */
  get open(): number {
    return this.#open;
  }

  /** A record enters the run; `transition` from NEW gives it its first state. */
  add(rec: TaskRecord): void {
    this.byId.set(rec.id, rec);
    this.#open++;
  }

  get(id: string): TaskRecord {
    return this.byId.get(id) as TaskRecord;
  }

  /** The task ends (`from`: as in `transition`). */
  end(rec: TaskRecord, to: (typeof FINISHED_TASK_STATES)[number], error?: SerializedError, cause?: string, from: TaskState | 'NEW' = rec.state): void {
    rec.endedAt = Date.now();
    if (error) rec.error = error;
    if (to === 'FAILED') this.failures.push(rec);
    this.#open--;
    this.transition(rec, to, error, cause, from);
  }

  /** The task goes from `from` (its state now; `NEW` as it enters the run) to `to`. */
  transition(rec: TaskRecord, to: TaskState, error?: SerializedError, cause?: string, from: TaskState | 'NEW' = rec.state): void {
    if (!canTransition(from, to)) throw new NectarError('INTERNAL', `task ${rec.id}: no state change ${from} -> ${to}`);
    rec.state = to;
    const { events, runId } = this;
    if (!events.hasListeners('task:state')) return;
    const payload: Parameters<typeof events.emit<'task:state'>>[1] = { runId, taskId: rec.id, state: to, previous: from === 'NEW' ? undefined : from, at: Date.now(), attempt: rec.attempts };
    if (rec.skipped) payload.skipped = true;
    if (error) payload.error = error;
    if (cause) payload.cause = cause;
    events.emit('task:state', payload);
  }
}
