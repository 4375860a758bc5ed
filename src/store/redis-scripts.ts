import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { TASK_RUNS_KEPT } from './types';

/**
 * The Lua scripts of the Redis run store (`lua/<name>.lua`, each saying what it does and
 * what its KEYS and ARGV are), each atomic and one round trip, behind typed wrappers: named
 * keys and arguments in, KEYS and ARGV in the script's order out. Keys built inside a script
 * (owner heartbeat keys) are not declared, so the store needs a standalone Redis (or
 * Sentinel), not Redis Cluster.
 */

/** Command name -> script file; each is read once, when this module loads. */
const FILES = {
  nectarPutRun: 'put-run',
  nectarPutTasks: 'put-tasks',
  nectarInterrupt: 'interrupt',
  nectarLiveOwners: 'live-owners',
  nectarClaim: 'claim',
  nectarBackfillClaim: 'backfill-claim',
  nectarScheduleInit: 'schedule-init',
  nectarScheduleClaim: 'schedule-claim',
  nectarSchedulePause: 'schedule-pause',
  nectarScheduleDeadline: 'schedule-deadline',
  nectarRunRows: 'run-rows',
} as const;
type Command = keyof typeof FILES;

const SOURCES = Object.fromEntries(
  Object.entries(FILES).map(([command, file]) => [command, readFileSync(join(__dirname, 'lua', `${file}.lua`), 'utf8')]),
) as Record<Command, string>;

/** What a command defined by `defineCommand` without a fixed key count is called with: the number of keys, the keys, the arguments. */
type Defined = Record<Command, (numKeys: number, ...keysAndArgs: string[]) => Promise<unknown>>;

export interface PutRunKeys {
  run: string;
  byCreated: string;
  /** The set of every run state. */
  states: readonly string[];
}
export interface PutRunArgs {
  id: string;
  createdAt: number;
  /** The set of the run's state (one of `states`). */
  stateSet: string;
  json: string;
  /** Absent: the run has none (one it had is removed). */
  owner?: string | undefined;
}

/** One task row as `putTasks` writes it, with the keys of its run and task. */
export interface TaskRowWrite {
  tasks: string;
  order: string;
  latest: string;
  /** The task's runs (its history), added to when the row is new to its run. */
  taskRuns: string;
  taskId: string;
  json: string;
  runId: string;
}

export interface PutTasksKeys {
  /** The task counter (first-write order). */
  taskSeq: string;
  /** The by-created set of runs: a task's runs are scored by their run's creation. */
  byCreated: string;
}

export interface InterruptKeys {
  run: string;
  tasks: string;
  queued: string;
  running: string;
  failed: string;
  /** The heartbeat key of the owner as read. */
  ownerKey: string;
}
export interface InterruptArgs {
  /** The run's JSON and owner ('' for none) as read: it is marked only if they are unchanged. */
  json: string;
  owner: string;
  newJson: string;
  runId: string;
  createdAt: number;
  /** Task rows to replace, each only if unchanged since it was read. */
  tasks: readonly TaskRewrite[];
}
/** A task row as read (`json`) and what replaces it. */
export interface TaskRewrite {
  taskId: string;
  json: string;
  newJson: string;
}

/** The scripts of the run store on one connection (EVALSHA, falling back to EVAL on a new connection). */
export interface RunScripts {
  putRun(keys: PutRunKeys, args: PutRunArgs): Promise<void>;
  /** All in one script call: the caller keeps batches small enough not to block Redis long. */
  putTasks(keys: PutTasksKeys, rows: readonly TaskRowWrite[]): Promise<void>;
  /** True if the run was marked interrupted; false if it had changed since it was read, or its owner came alive. */
  interrupt(keys: InterruptKeys, args: InterruptArgs): Promise<boolean>;
  /** The owners whose heartbeat has not expired (the others are forgotten). */
  liveOwners(keys: { owners: string }, args: { ownerPrefix: string }): Promise<string[]>;
  /** True if the run is now `owner`'s. */
  claim(keys: { run: string }, args: { owner: string; ownerPrefix: string }): Promise<boolean>;
  /** True if the backfill (unchanged since read as `read`) is now `json`'s owner's. */
  backfillClaim(keys: { backfill: string; ownerKey: string }, args: { read: string; json: string }): Promise<boolean>;
  /** The schedule's hash, created (cursor at `now`) if missing. */
  scheduleInit(keys: ScheduleKeys, args: { key: string; now: number }): Promise<Record<string, string>>;
  /** True if the tick was claimed. */
  scheduleClaim(keys: ScheduleKeys, args: { key: string; tick: number; now: number; runId?: string | undefined }): Promise<boolean>;
  /** True if the deadline check of the tick was claimed. */
  scheduleDeadline(keys: ScheduleKeys, args: { key: string; tick: number; now: number }): Promise<boolean>;
  /** The schedule's hash after the change. */
  schedulePause(keys: ScheduleKeys, args: { key: string; paused: boolean; now: number }): Promise<Record<string, string>>;
  /** The json and owner of each run hash, in order (null when absent). */
  runRows(keys: { runs: readonly string[] }): Promise<Array<[json: string | null, owner: string | null]>>;
}

/** A schedule's hash and the set of every schedule key. */
export interface ScheduleKeys {
  schedule: string;
  schedules: string;
}

/** HGETALL's flat reply as an object. */
function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const [k, v] = [reply[i], reply[i + 1]];
    if (typeof k === 'string' && typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Define the scripts on `redis` and return their wrappers. */
export function runScripts(redis: Redis): RunScripts {
  for (const command of Object.keys(FILES) as Command[]) redis.defineCommand(command, { lua: SOURCES[command] });
  const defined = redis as unknown as Defined;
  const call = (command: Command, keys: readonly string[], args: readonly string[]): Promise<unknown> => defined[command](keys.length, ...keys, ...args);
  return {
    async putRun(k, a) {
      const args = [a.id, String(a.createdAt), a.stateSet, a.json];
      if (a.owner !== undefined) args.push(a.owner);
      await call('nectarPutRun', [k.run, k.byCreated, ...k.states], args);
    },
    async putTasks(k, rows) {
      const keys = [k.taskSeq, k.byCreated];
      const args: string[] = [String(TASK_RUNS_KEPT)];
      for (const r of rows) {
        keys.push(r.tasks, r.order, r.latest, r.taskRuns);
        args.push(r.taskId, r.json, r.runId);
      }
      await call('nectarPutTasks', keys, args);
    },
    async interrupt(k, a) {
      const args = [a.json, a.owner, a.newJson, a.runId, String(a.createdAt)];
      for (const t of a.tasks) args.push(t.taskId, t.json, t.newJson);
      return (await call('nectarInterrupt', [k.run, k.tasks, k.queued, k.running, k.failed, k.ownerKey], args)) === 1;
    },
    async liveOwners(k, a) {
      const live = await call('nectarLiveOwners', [k.owners], [a.ownerPrefix]);
      return Array.isArray(live) ? live.filter((o): o is string => typeof o === 'string') : [];
    },
    async claim(k, a) {
      return (await call('nectarClaim', [k.run], [a.owner, a.ownerPrefix])) === 1;
    },
    async backfillClaim(k, a) {
      return (await call('nectarBackfillClaim', [k.backfill, k.ownerKey], [a.read, a.json])) === 1;
    },
    async scheduleInit(k, a) {
      return pairs(await call('nectarScheduleInit', [k.schedule, k.schedules], [a.key, String(a.now)]));
    },
    async scheduleClaim(k, a) {
      return (await call('nectarScheduleClaim', [k.schedule, k.schedules], [a.key, String(a.tick), String(a.now), a.runId ?? ''])) === 1;
    },
    async scheduleDeadline(k, a) {
      return (await call('nectarScheduleDeadline', [k.schedule, k.schedules], [a.key, String(a.tick), String(a.now)])) === 1;
    },
    async schedulePause(k, a) {
      return pairs(await call('nectarSchedulePause', [k.schedule, k.schedules], [a.key, a.paused ? '1' : '0', String(a.now)]));
    },
    async runRows(k) {
      const reply = k.runs.length === 0 ? [] : await call('nectarRunRows', k.runs, []);
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      return k.runs.map((_, i) => {
        const pair: unknown = Array.isArray(reply) ? reply[i] : undefined;
        return Array.isArray(pair) ? [str(pair[0]), str(pair[1])] : [null, null];
      });
    },
  };
}
