import type { ScheduleSpec } from './schedule';
import { NectarError } from './errors';
import { NAME_PATTERN } from './identity';

/**
 * Where a task runs: in the scheduler's process, in a child worker process of this machine,
 * or on any `nectar worker` through BullMQ and Redis (distributed mode).
 */
export type ExecutorKind = 'inprocess' | 'process' | 'bullmq';

/**
 * Where a task class may ask to run (its `executor` option): in the scheduler's process or in
 * a worker process. Distributed mode (`bullmq`) is chosen for a whole run, never by a task.
 */
export type TaskExecutor = Exclude<ExecutorKind, 'bullmq'>;

const TASK_EXECUTORS: readonly TaskExecutor[] = ['inprocess', 'process'];

/**
 * What a run does with a complete task that is stale (built from inputs that have changed
 * since: an upstream version, an upstream rebuilt): build it again, keep it as it is, or fail.
 */
export type StalePolicy = 'rebuild' | 'keep' | 'fail';

export const STALE_POLICIES: readonly StalePolicy[] = ['rebuild', 'keep', 'fail'];

/** What a task class may set (second argument of `task()`, or `static options`). Times in milliseconds. */
export interface TaskOptions {
  /** Extra attempts after a failure (default 0). */
  retries?: number;
  /** Wait before the first retry (default 1000 ms); each later wait is multiplied by `retryBackoff`. */
  retryDelay?: number;
  /** Backoff factor (default 2). */
  retryBackoff?: number;
  /** Upper bound of a retry wait (default 60000 ms). */
  retryDelayMax?: number;
  /** An attempt running longer is stopped and fails with TIMEOUT. */
  timeout?: number;
  /** Higher runs first among ready tasks (default 0). */
  priority?: number;
  /** Named concurrency limits this task holds while it runs, e.g. `{ db: 1 }`. */
  resources?: Readonly<Record<string, number>>;
  /** A code version: enters the hash, so changing it invalidates old outputs. */
  version?: string;
  /** Worker capability (distributed mode): only workers offering it take the task. */
  queue?: string;
  /** Where the task runs unless the run says otherwise. */
  executor?: TaskExecutor;
  /** The chain type's settings this task may read (`ctx.settings`); it sees no others. */
  settings?: readonly string[];
  /** What a run does when this task is stale; the run's choice (`--stale`, default `rebuild`) when unset. */
  stale?: StalePolicy;
  /** When `nectar serve` runs it by itself: cron expressions in a time zone, each tick mapped to parameters (checked by discovery). */
  schedules?: readonly ScheduleSpec[];
}

/** Options with defaults filled and checked, frozen; compiled once per class. */
export interface ResolvedOptions {
  readonly retries: number;
  readonly retryDelay: number;
  readonly retryBackoff: number;
  readonly retryDelayMax: number;
  readonly timeout: number | undefined;
  readonly priority: number;
  readonly resources: Readonly<Record<string, number>>;
  readonly version: string | undefined;
  readonly queue: string;
  readonly executor: TaskExecutor | undefined;
  readonly settings: readonly string[];
  readonly stale: StalePolicy | undefined;
  /** As declared; discovery checks and compiles them (a bad one is a load problem, not a definition error). */
  readonly schedules: readonly ScheduleSpec[];
}

function check(ok: boolean, owner: string, what: string): void {
  if (!ok) throw new NectarError('BAD_TASK_DEFINITION', `${owner}: option ${what}`);
}

const nonNegInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
const posNum = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

export function resolveOptions(o: TaskOptions, owner: string): ResolvedOptions {
  check(o.retries === undefined || nonNegInt(o.retries), owner, `'retries' must be a whole number >= 0`);
  check(o.retryDelay === undefined || nonNegInt(o.retryDelay), owner, `'retryDelay' must be whole milliseconds >= 0`);
  check(o.retryBackoff === undefined || (posNum(o.retryBackoff) && o.retryBackoff >= 1), owner, `'retryBackoff' must be a number >= 1`);
  check(o.retryDelayMax === undefined || nonNegInt(o.retryDelayMax), owner, `'retryDelayMax' must be whole milliseconds >= 0`);
  check(o.timeout === undefined || posNum(o.timeout), owner, `'timeout' must be milliseconds > 0`);
  check(o.priority === undefined || (typeof o.priority === 'number' && Number.isFinite(o.priority)), owner, `'priority' must be a number`);
  check(o.version === undefined || (typeof o.version === 'string' && o.version.length > 0), owner, `'version' must be a non-empty string`);
  check(o.settings === undefined || (Array.isArray(o.settings) && o.settings.every((s) => typeof s === 'string')), owner, `'settings' must be a list of setting names`);
  check(o.queue === undefined || (typeof o.queue === 'string' && NAME_PATTERN.test(o.queue)), owner, `'queue' must match ${NAME_PATTERN.source}`);
  check(o.executor === undefined || TASK_EXECUTORS.includes(o.executor), owner, `'executor' must be ${TASK_EXECUTORS.map((e) => `'${e}'`).join(' or ')}`);
  check(o.stale === undefined || STALE_POLICIES.includes(o.stale), owner, `'stale' must be ${STALE_POLICIES.map((e) => `'${e}'`).join(', ')}`);
  const resources: Record<string, number> = {};
  for (const [name, n] of Object.entries(o.resources ?? {})) {
    check(NAME_PATTERN.test(name) && nonNegInt(n) && n > 0, owner, `'resources.${name}' must be a whole number > 0 under a plain name`);
    resources[name] = n;
  }
  return Object.freeze({
    retries: o.retries ?? 0,
    retryDelay: o.retryDelay ?? 1000,
    retryBackoff: o.retryBackoff ?? 2,
    retryDelayMax: o.retryDelayMax ?? 60_000,
    timeout: o.timeout,
    priority: o.priority ?? 0,
    resources: Object.freeze(resources),
    version: o.version,
    queue: o.queue ?? 'default',
    executor: o.executor,
    settings: Object.freeze([...(o.settings ?? [])]),
    stale: o.stale,
    schedules: Object.freeze(Array.isArray(o.schedules) ? [...o.schedules] : []),
  });
}

/** The wait before retry number `retry` (1-based). */
export function retryDelayFor(o: ResolvedOptions, retry: number): number {
  return Math.min(o.retryDelayMax, o.retryDelay * o.retryBackoff ** (retry - 1));
}
