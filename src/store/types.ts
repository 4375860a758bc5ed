import type { SerializedError } from '../core/errors';
import type { Json } from '../core/identity';
import type { RunState, TaskProgress, TaskState } from '../core/states';

/** One run as recorded: what was asked, how it went. Times are epoch milliseconds. */
export interface RunRow {
  readonly id: string;
  /** The root task's id (`type/chain/Task/hash`). */
  readonly rootTaskId: string;
  /** The root task's reference (`type/chain/Task`). */
  readonly ref: string;
  readonly params: { readonly [key: string]: Json };
  state: RunState;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  error?: SerializedError;
  /** Task counts by state, set when the run ends. */
  counts?: Partial<Record<TaskState, number>>;
  /** Set on runs found in flight when the server started again (it stopped while they ran). */
  interrupted?: boolean;
  /**
   * The id of the server process running it. Several servers can share one Redis run store:
   * a run whose owner no longer heartbeats (see `RunStore.heartbeat`) was left by a server
   * that stopped, and may be marked interrupted or claimed by another.
   */
  owner?: string;
}

/** One task within one run. */
export interface TaskRow extends TaskProgress {
  readonly runId: string;
  readonly taskId: string;
  /** The task class name. */
  readonly name: string;
  readonly params: { readonly [key: string]: Json };
}

export interface RunQuery {
  state?: RunState;
  /** 1..500, default 50. */
  limit?: number;
  offset?: number;
}

/**
 * Where runs and task states are kept so that they survive a restart: embedded SQLite by
 * default, Redis in distributed mode. Calls are synchronous for SQLite; the interface is
 * async so that a networked store fits behind it.
 */
export interface RunStore {
  /** Insert or replace a run row. */
  putRun(run: RunRow): Promise<void>;
  /** Insert or replace task rows (one transaction). */
  putTasks(rows: readonly TaskRow[]): Promise<void>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Newest first. */
  listRuns(q: RunQuery): Promise<{ runs: RunRow[]; total: number }>;
  /** The tasks of a run, in the order they were first recorded. */
  getTasks(runId: string): Promise<TaskRow[]>;
  /** The most recent record of a task id in any run (for status polling). */
  latestTask(taskId: string): Promise<TaskRow | undefined>;
  /**
   * At start-up: runs left QUEUED or RUNNING by a process that stopped are marked FAILED with
   * `interrupted: true` and an error saying so; their PENDING/RUNNING tasks become FAILED
   * (RUNNING) or CANCELLED (PENDING). Returns the ids of the runs marked, sorted.
   *
   * A store shared by several servers (one with `liveOwners`) marks only the in-flight runs
   * whose `owner` is not live; a run with no owner counts as not live. A store of one server
   * (SQLite) marks every in-flight run: whoever ran them is this process's predecessor.
   */
  markInterrupted(now: number): Promise<string[]>;
  /**
   * Shared stores only: say that server `owner` is alive for the next `ttlMs` (a key that
   * expires). A server calls it well within `ttlMs`, again and again, while it runs.
   */
  heartbeat?(owner: string, ttlMs: number): Promise<void>;
  /** Shared stores only: the owners whose last heartbeat has not expired. */
  liveOwners?(): Promise<Set<string>>;
  /**
   * Shared stores only: make `owner` the owner of a run, atomically, if its current owner is
   * not live, is missing, or is already `owner`; false otherwise, and for a run not recorded.
   * For a restarted server to adopt runs. The claimant should heartbeat first: a claim by an
   * owner that is not live can itself be taken over at once.
   */
  claimRun?(runId: string, owner: string): Promise<boolean>;
  close(): Promise<void>;
}
