import type { SerializedError } from '../core/errors';
import type { EventBus } from '../core/events';
import type { Executor } from '../core/executor';
import type { ExecutorKind, StalePolicy } from '../core/options';
import type { RunState, TaskProgress, TaskState } from '../core/states';
import type { TargetStore } from '../core/target';
import type { AnyTask } from '../core/task';
import type { SharedExecutions } from './shared';

/** What one run needs. Everything is passed in: the scheduler holds no global state. */
export interface SchedulerOptions {
  runId: string;
  store: TargetStore;
  events: EventBus;
  executors: Partial<Record<ExecutorKind, Executor>>;
  /** For tasks that do not choose (default `inprocess`). */
  executor?: ExecutorKind;
  /** At most this many tasks run at once (default 8). */
  workers?: number;
  /** Limits of named resources (default 1 each). */
  resources?: Readonly<Record<string, number>>;
  /** Abort to cancel the run: running attempts are aborted, pending tasks never start. */
  signal?: AbortSignal;
  /** Executions in flight shared by runs of one runtime: the same task id runs once. */
  shared?: SharedExecutions;
  /** Ids of tasks the caller has just found incomplete: their outputs are not looked at again. */
  knownIncomplete?: ReadonlySet<string> | undefined;
  /** Finds the stale ones among complete tasks; without it no task is ever stale. */
  freshness?: FreshnessHook | undefined;
  /** What happens to a stale task whose class sets no `stale` option (default `rebuild`). */
  stale?: StalePolicy | undefined;
}

/** Which complete tasks are stale, and why. */
export interface FreshnessHook {
  stale(tasks: readonly AnyTask[]): Promise<Map<string, readonly string[]>>;
}

/** What is known of one task at the end of a run. */
export interface TaskRecord extends TaskProgress {
  readonly id: string;
  readonly task: AnyTask;
}

/** How a run ended, with every task's record. */
export interface RunResult {
  readonly runId: string;
  readonly rootIds: readonly string[];
  readonly state: RunState;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly counts: Record<TaskState, number>;
  readonly ran: number;
  readonly skipped: number;
  /** Tasks found stale, whatever was done with them (`stale` on their records says why). */
  readonly stale: number;
  readonly durationMs: number;
  /** FAILED tasks in the order they failed. */
  readonly failures: readonly TaskRecord[];
  /** Set when the run failed before any task could run (a cycle, a requires() that threw). */
  readonly error?: SerializedError;
}
