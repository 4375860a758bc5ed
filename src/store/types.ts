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
  /** What started it, when not a caller of the API or CLI: a schedule's tick (or its "trigger now"). */
  trigger?: RunTrigger;
  /** A SKIPPED run of a tick whose task was already running: the run it would have joined. */
  joined?: string;
}

/** What started a run other than a direct request: a schedule's tick, or a backfill's partition. */
export type RunTrigger =
  | {
      readonly kind: 'schedule';
      /** The schedule's name (the task is the run's `ref`). */
      readonly schedule: string;
      /** The tick's instant (epoch ms); for a trigger-now, when it was asked. */
      readonly tick: number;
      /** Started by "trigger now", not by the clock. */
      readonly manual?: boolean;
    }
  | {
      readonly kind: 'backfill';
      /** The backfill's id. */
      readonly backfill: string;
      /** The partition value this run is for. */
      readonly partition: string;
    };

/** The trigger of a schedule's tick. */
export type ScheduleTrigger = Extract<RunTrigger, { kind: 'schedule' }>;

export const BACKFILL_STATES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type BackfillState = (typeof BACKFILL_STATES)[number];
export const PART_STATES = ['PENDING', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED'] as const;
export type PartState = (typeof PART_STATES)[number];

/**
 * A backfill: one root task per partition value, at most `concurrency` in flight. Kept with
 * the runs so that it survives a restart (and carries on). Times are epoch ms.
 */
export interface BackfillRow {
  readonly id: string;
  /** The task's reference, `type/chain/Task`. */
  readonly ref: string;
  /** The parameter that takes each partition's value. */
  readonly over: string;
  /** Every partition value, in order. */
  readonly values: readonly string[];
  /** The other parameters, the same for every partition. */
  readonly params: { readonly [key: string]: Json };
  readonly concurrency: number;
  /** How the values were given: `2012-01-01..2012-12-31 by day`, or `list`. */
  readonly range: string;
  state: BackfillState;
  createdAt: number;
  endedAt?: number;
  /** The server driving it (several servers may share a Redis store). */
  owner?: string;
}

/** One partition of a backfill: DONE when its run succeeded or its task was already complete. */
export interface BackfillPart {
  readonly backfillId: string;
  readonly value: string;
  state: PartState;
  /** Its latest run. */
  runId?: string;
}

/**
 * A schedule's state, kept with the runs so that it survives restarts and every server
 * sharing the store sees the same. `key` is `<task ref>/<schedule name>`.
 */
export interface ScheduleState {
  readonly key: string;
  paused: boolean;
  /**
   * Ticks at or before this instant (epoch ms) are dealt with: fired, or let go by the
   * catch-up policy. The last tick fired, or when the schedule was first seen or resumed (a
   * new or resumed schedule does not fire its past).
   */
  cursor: number;
  /** The last tick fired (epoch ms). */
  lastTick?: number;
  /** The run the last tick fired made (started, skipped or refused). */
  lastRunId?: string;
  /** When this state last changed (epoch ms). */
  updatedAt: number;
  /** Ticks at or before this (epoch ms) have had their deadline looked at. */
  deadlineCursor?: number;
}

/** A tick whose partition was not DONE by its schedule's deadline. */
export interface DeadlineMiss {
  /** The partition's root task id. */
  readonly taskId: string;
  /** The schedule's key. */
  readonly key: string;
  readonly tick: number;
  readonly deadline: number;
}

/** One task within one run. */
export interface TaskRow extends TaskProgress {
  readonly runId: string;
  readonly taskId: string;
  /** The task class name. */
  readonly name: string;
  readonly params: { readonly [key: string]: Json };
}

/**
 * Which runs a listing answers, newest first (ties by id descending). Filters combine: a run
 * is listed when it matches every one given (`runFilter` in run-filter.ts says what matches).
 */
export interface RunQuery {
  state?: RunState;
  /**
   * The run's root task: `type/chain/Task` (its ref, exactly), `type/Task` (the CLI's form: that
   * type and class name, in any chain) or `Task` (the class name, the ref's last segment).
   */
  task?: string;
  /**
   * Pairs the run's parameters must all match: `params[name]` is a string equal to `value`, or
   * a value whose JSON is `value` (`5` matches the number 5, `true` the boolean). Names are
   * identifiers (`/^[A-Za-z_][A-Za-z0-9_]*$/`); a store throws on another.
   */
  params?: ReadonlyArray<readonly [name: string, value: string]>;
  /** Epoch ms: runs created at or after. */
  from?: number;
  /** Epoch ms: runs created before. */
  to?: number;
  /** 1..500, default 50. */
  limit?: number;
  offset?: number;
}

/** A task as recorded in one run, with that run: one entry of a task's history. */
export interface TaskInRun {
  readonly run: RunRow;
  readonly task: TaskRow;
}

/** The most runs `taskRuns` answers: the Redis store keeps no more per task. */
export const TASK_RUNS_KEPT = 100;

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
  /**
   * A task's history: the runs in which this task id was recorded (as root or dependency), with
   * its row in each, newest run first (ties by run id descending). `limit` is clamped to
   * 1..TASK_RUNS_KEPT (default 20): the Redis store keeps the newest 100 runs of each task.
   * Task rows whose run is not recorded (gone, or never put) are left out.
   */
  taskRuns(taskId: string, limit: number): Promise<TaskInRun[]>;
  /** The most recent record of a task id in any run (for status polling). */
  latestTask(taskId: string): Promise<TaskRow | undefined>;
  /**
   * `latestTask` of many task ids at once, for the partitions grid (thousands of ids): one
   * statement (SQLite) or two round trips (Redis), not one per id. Ids with no record are not
   * in the map; an id given twice is there once.
   */
  latestTasks(taskIds: readonly string[]): Promise<Map<string, TaskRow>>;
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
  /** Every schedule state recorded, by key. */
  listSchedules(): Promise<ScheduleState[]>;
  /** The state of a schedule, created with `cursor = now` (not paused) when it has none yet. */
  initSchedule(key: string, now: number): Promise<ScheduleState>;
  /**
   * Claim a tick, atomically: if the schedule is not paused and its cursor is before `tick`,
   * move the cursor to `tick` and return true, else false. Of several servers trying the same
   * tick, one wins: this is what fires each tick once. With `runId` the tick is fired (it
   * becomes `lastTick`, and `lastRunId` that run); without, the cursor only moves past ticks
   * let go. A schedule with no state is created by the claim.
   */
  claimTick(key: string, tick: number, now: number, runId?: string): Promise<boolean>;
  /**
   * Pause or resume. Resuming moves the cursor to `now` if it is before: ticks that fell
   * while paused are not fired. Returns the new state (created when missing).
   */
  setPaused(key: string, paused: boolean, now: number): Promise<ScheduleState>;
  /** Claim the deadline check of a tick, atomically (as `claimTick`, on the deadline cursor): true for one caller only. */
  claimDeadline(key: string, tick: number, now: number): Promise<boolean>;
  /** Record a missed deadline (replacing one of the same task id). */
  putDeadlineMiss(m: DeadlineMiss): Promise<void>;
  /** Of these task ids, the ones with a missed deadline recorded. */
  deadlineMisses(taskIds: readonly string[]): Promise<Set<string>>;
  /** Insert or replace a backfill row (its parts are written apart). */
  putBackfill(b: BackfillRow): Promise<void>;
  getBackfill(id: string): Promise<BackfillRow | undefined>;
  /** Newest first. */
  listBackfills(q: { limit?: number; offset?: number }): Promise<{ backfills: BackfillRow[]; total: number }>;
  /** Insert or replace partition rows (one transaction). */
  putBackfillParts(parts: readonly BackfillPart[]): Promise<void>;
  /** A backfill's partitions, in the order of its values. */
  getBackfillParts(id: string): Promise<BackfillPart[]>;
  /**
   * Shared stores only: make `owner` the owner of a RUNNING backfill, atomically, if the owner
   * it names is not live, is missing or is already `owner` (as `claimRun`); the row as claimed,
   * or undefined (not running, owned by a live server, or changed under the claim).
   */
  claimBackfill?(id: string, owner: string): Promise<BackfillRow | undefined>;
  /**
   * Retention: remove the runs created before `before` (epoch ms) that are not in flight,
   * with their task rows; returns how many runs went. Never a QUEUED or RUNNING run.
   */
  pruneRuns(before: number): Promise<number>;
  close(): Promise<void>;
}
