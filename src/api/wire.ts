/**
 * The JSON the API answers, as types: the server's builders are typed against them and the
 * web UI imports them, so a change of shape breaks the compile on both sides. Besides types
 * this module only re-exports the state model of core/states.ts (pure: the UI bundles it), so
 * it is the one file of src/ the UI may import.
 */
import type { ErrorCode, SerializedError } from '../core/errors';
import type { RunState, TaskState } from '../core/states';

export type { ErrorCode, SerializedError } from '../core/errors';
export type { RunState, TaskState } from '../core/states';
export type { TaskStatus } from '../core/task-status';
import type { TaskStatus } from '../core/task-status';
export {
  ACTIVE_RUN_STATES,
  FAILED_LIKE_TASK_STATES,
  FINISHED_RUN_STATES,
  FINISHED_TASK_STATES,
  IN_FLIGHT_TASK_STATES,
  NOT_STARTED_TASK_STATES,
  RUN_STATES,
  TASK_STATES,
  isActiveRun,
  isFailedLike,
  isInFlight,
  isNotStarted,
  isTerminal,
} from '../core/states';

/** Every successful JSON answer. */
export interface Envelope<T> {
  status: number;
  message: string;
  data: T;
}

/** Every error answer; the code is one of ERROR_CODES. */
export interface ErrorAnswer {
  status: number;
  message: string;
  error: { code: ErrorCode; details?: unknown };
}

/** `GET /healthz`. */
export interface Health {
  /** Tasks discovered. */
  tasks: number;
  /** The target store's kind: `local` or `s3`. */
  targets: string;
}

/** A parameter's JSON Schema, as far as a client reads it. */
export interface ParamSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: ParamSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  /** A date's limits (`YYYY-MM-DD`). */
  formatMinimum?: string;
  formatMaximum?: string;
  pattern?: string;
}

/** The JSON Schema of a task's parameters (an object schema). */
export interface ParamsSchema {
  properties: Record<string, ParamSchema>;
  required: string[];
}

/** One discovered task: `GET /api/chains` (`chains`) and `nectar list --json` (`tasks`). */
export interface CatalogueEntry {
  type: string;
  chain: string;
  task: string;
  ref: string;
  endpoint: string;
  params: ParamsSchema;
  /** The schedules the task declares (those discovery could compile). */
  schedules: ScheduleEntry[];
}

/** A schedule as the catalogue shows it. */
export interface ScheduleEntry {
  name: string;
  cron: string;
  timezone: string;
  catchup: 'all' | 'latest' | 'none';
  max_catchup: number;
  /** `'06:00'` (a time of day in its zone) or `'4h'` (after the tick); null without a deadline. */
  deadline: string | null;
}

/** `GET /api/chains`. */
export interface Catalogue {
  chains: CatalogueEntry[];
}


/** A complete task's outputs in the answer itself, when the caller waited (`Prefer: wait`). */
export type InlineOutputs = { inline: true; output: unknown } | { inline: true; outputs: Record<string, unknown> } | { inline: false; inline_reason: string };

/** 200 of `POST /api/chains/...`: complete already or within the wait; outputs inline when it waited. */
export type TaskAnswer = TaskStatus & (InlineOutputs | Record<never, never>);

/** 202 of `POST /api/chains/...`: a run started or joined. */
export interface RunStarted {
  run_id: string;
  task_id: string;
  job_status: RunState;
  /** False when the call joined a run in flight. */
  created: boolean;
  status_url: string;
  run_url: string;
  expires_in: number | null;
}

/** One run as the run history lists it. Times are epoch milliseconds. */
export interface RunSummary {
  run_id: string;
  /** The root task's id. */
  task_id: string;
  /** The root task's reference (`type/chain/Task`). */
  task: string;
  params: Record<string, unknown>;
  state: RunState;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  /** Task counts by state, once the run has ended. */
  counts: Partial<Record<TaskState, number>> | null;
  error: SerializedError | null;
  /** The server stopped while the run was in flight. */
  interrupted: boolean;
  /** What started it when not a direct request (a schedule's tick); null for API and CLI runs. */
  trigger: RunTriggerJson | null;
  /** A SKIPPED tick whose task was running already: the run it joined. */
  joined: string | null;
  url: string;
}

/** What started a run: a schedule's tick or a backfill's partition. Times are epoch milliseconds. */
export type RunTriggerJson =
  | {
      kind: 'schedule';
      schedule: string;
      /** The tick's instant; for a trigger-now, when it was asked. */
      tick: number;
      /** Started by "trigger now", not by the clock. */
      manual: boolean;
      /** For people: `schedule nightly`, `schedule nightly (triggered by hand)`. */
      label: string;
    }
  | {
      kind: 'backfill';
      backfill: string;
      partition: string;
      /** For people: `backfill 1b2c3d4e 2012-03-04`. */
      label: string;
    };

/** One schedule with its state (`GET /api/schedules`): the catalogue's entry and more. Times are epoch milliseconds. */
export interface ScheduleSummary extends ScheduleEntry {
  /** `<type>/<chain>/<Task>/<name>`: what the pause, resume and trigger URLs name. */
  key: string;
  /** The task's reference, `type/chain/Task`. */
  task: string;
  state: 'active' | 'paused';
  /** The next tick it will fire; null while paused (or when it never fires again). */
  next_tick: number | null;
  /** The last tick fired (by the clock). */
  last_tick: number | null;
  /** The run the last tick fired made (a trigger-now is not a tick), with its state now; null before the first. */
  last_run: { run_id: string; state: RunState; url: string } | null;
  /** POST these: `pause`, `resume`, `trigger`. */
  actions: { pause: string; resume: string; trigger: string };
}

/** `GET /api/schedules`. */
export interface ScheduleList {
  schedules: ScheduleSummary[];
}

/** `POST .../trigger`: the run the trigger made (it may be SKIPPED: the task was complete). */
export interface ScheduleTriggered {
  schedule: ScheduleSummary;
  run_id: string;
  state: RunState;
  url: string;
}

/** `GET /api/runs`. */
export interface RunPage {
  runs: RunSummary[];
  total: number;
  limit: number;
  offset: number;
}

/** One task of a run (`GET /api/runs/:id` nodes, the SSE snapshot). */
export interface RunNode {
  task_id: string;
  /** The task class name. */
  name: string;
  params: Record<string, unknown>;
  state: TaskState;
  /** DONE because its outputs already existed. */
  skipped: boolean;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  error: SerializedError | null;
  /** Ids of the tasks it requires. */
  deps: string[];
  /** Complete but stale when the run looked, and why (it was rebuilt, kept or failed by the stale policy); null when not. */
  stale: readonly string[] | null;
}

/** From a requirement to the task that needs it. */
export interface Edge {
  from: string;
  to: string;
}

/** `GET /api/runs/:id`. */
export type RunDetail = RunSummary & { nodes: RunNode[]; edges: Edge[] };

/** `POST /api/runs/:id/retry`: nothing to run (200), or the new run (202). */
export type RetryAnswer =
  | { task_id: string; job_status: 'DONE'; run_id: null }
  | { run_id: string; retry_of: string; task_id: string; status_url: string; run_url: string };

/** `GET /api/runs/:id/graph` (JSON): nodes in dependency order, edges breadth-first from the roots. */
export interface Graph {
  readonly roots: readonly string[];
  readonly nodes: readonly { readonly id: string; readonly task: string; readonly params: Readonly<Record<string, unknown>>; readonly deps: readonly string[] }[];
  readonly edges: readonly Edge[];
}

/** `POST /api/tasks/:type/:chain/:task/:hash/invalidate`: what was (or, a dry run, would be) removed. */
export interface InvalidateAnswer {
  dry_run: boolean;
  /** Files removed (0 in a dry run). */
  removed: number;
  /** The task asked for first (`because` null), then each recorded dependant with the task it was built from. */
  tasks: { task_id: string; because: string | null; keys: string[] }[];
}

/** A task next to another in lineage (`GET .../lineage`). */
export interface LineageNeighbourJson {
  task_id: string;
  built_at: string | null;
  /** Its outputs exist now. */
  present: boolean;
  /** Stale now: why; absent when fresh (or not present). */
  stale?: readonly string[];
}

/** `GET /api/tasks/:type/:chain/:task/:hash/lineage`: what a task was built from and what was built from it, across runs. */
export interface LineageAnswer {
  task_id: string;
  /** Its `lineage.json`; null when it has none. */
  lineage: Record<string, unknown> | null;
  stale?: readonly string[];
  built_from: LineageNeighbourJson[];
  built_into: LineageNeighbourJson[];
}

/** `GET /api/tasks/:type/:chain/:task/:hash/log`. */
export interface LogAnswer {
  task_id: string;
  /** Answered from the memory of a task running in this server, not the stored log file. */
  live: boolean;
  /** Earlier lines no longer kept in memory. */
  dropped: number;
  /** Each line as written (a JSON object), or `{ msg }` for a line that is not JSON. */
  lines: unknown[];
}

/** `GET /api/runs/:id/events`: each server-sent event's payload, by event name. */
export interface RunEvents {
  /** First, and on each reconnection: the run and its tasks now. */
  snapshot: RunSummary & { nodes: RunNode[] };
  /** Instead of live events, for a run that has already ended. */
  end: { run_id: string; state: RunState };
  'task:added': { runId: string; taskId: string; name: string; params: Readonly<Record<string, unknown>>; deps: readonly string[]; at: number; stale?: readonly string[] };
  'task:state': { runId: string; taskId: string; state: TaskState; at: number; attempt: number; skipped?: boolean; error?: SerializedError };
  'task:retry': { runId: string; taskId: string; attempt: number; delayMs: number; error: SerializedError; at: number };
  'task:log': { runId: string; taskId: string; line: string };
  'run:end': { runId: string; state: RunState; at: number; counts: Record<TaskState, number>; error?: SerializedError };
}

// Backfills and the partitions view: their own module, re-exported here (the one file the UI imports).
export type * from './wire-backfills';
export type * from './wire-history';
