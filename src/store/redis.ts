import Redis from 'ioredis';
import { RUN_STATES, type RunState, TASK_STATES, type TaskState } from '../core/states';
import type { RunQuery, RunRow, RunStore, TaskRow } from './types';
import { RUN_INTERRUPTED, TASK_INTERRUPTED, clampInt, isObject, toCounts, toError, toParams } from './rows';

/** Task rows per script call: a 5,000-row batch is 10 calls sent back to back (one round trip), none blocking Redis for long. */
const CHUNK = 500;
/** Longest wait between reconnection attempts. */
const MAX_RETRY_MS = 2000;
/**
 * How long `close()` lets pending commands finish before it drops the connection. Longer than
 * the longest retry wait, so that a reconnection attempt is made (and fails, ending the client
 * and failing what waits) rather than one left scheduled, which `disconnect()` would not end.
 */
const CLOSE_WAIT_MS = MAX_RETRY_MS + 500;
const IN_FLIGHT: readonly RunState[] = ['QUEUED', 'RUNNING'];

/**
 * Lua scripts, each atomic and one round trip. Keys built inside a script (owner heartbeat keys)
 * are not declared, so the store needs a standalone Redis (or Sentinel), not Redis Cluster.
 */
const SCRIPTS = {
  /**
   * KEYS: run hash, by-created set, then every state set. ARGV: run id, createdAt, its state's
   * set, JSON, owner (absent: none). One command rather than a MULTI, so that a write cut off
   * by a lost connection is sent again whole (ioredis fails a half-answered MULTI instead).
   */
  nectarPutRun: {
    numberOfKeys: 2 + RUN_STATES.length,
    lua: `
      redis.call('HSET', KEYS[1], 'json', ARGV[4])
      if ARGV[5] then redis.call('HSET', KEYS[1], 'owner', ARGV[5]) else redis.call('HDEL', KEYS[1], 'owner') end
      redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
      for i = 3, #KEYS do
        if KEYS[i] == ARGV[3] then redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1]) else redis.call('ZREM', KEYS[i], ARGV[1]) end
      end
      return 1`,
  },
  /** KEYS: task counter, then per row its run's tasks hash, order zset and latest key. ARGV: per row task id, JSON, run id. */
  nectarPutTasks: {
    lua: `
      local n = #ARGV / 3
      local seq = redis.call('INCRBY', KEYS[1], n) - n
      for i = 1, n do
        local a, k = 3 * i - 2, 3 * i - 1
        redis.call('HSET', KEYS[k], ARGV[a], ARGV[a + 1])
        redis.call('ZADD', KEYS[k + 1], 'NX', seq + i, ARGV[a])
        redis.call('SET', KEYS[k + 2], ARGV[a + 2])
      end
      return n`,
  },
  /**
   * Compare-and-set of one interrupted run: applies only if its row and owner are still what was
   * read and the owner has not come alive. KEYS: run hash, tasks hash, QUEUED, RUNNING and FAILED
   * sets, owner key. ARGV: old JSON, old owner ('' for none), new JSON, run id, createdAt, then
   * per task id, old JSON, new JSON (a task changed since it was read is left alone).
   */
  nectarInterrupt: {
    numberOfKeys: 6,
    lua: `
      if redis.call('HGET', KEYS[1], 'json') ~= ARGV[1] then return 0 end
      local owner = redis.call('HGET', KEYS[1], 'owner') or ''
      if owner ~= ARGV[2] then return 0 end
      if owner ~= '' and redis.call('EXISTS', KEYS[6]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'json', ARGV[3])
      redis.call('ZREM', KEYS[3], ARGV[4])
      redis.call('ZREM', KEYS[4], ARGV[4])
      redis.call('ZADD', KEYS[5], ARGV[5], ARGV[4])
      for i = 6, #ARGV, 3 do
        if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2]) end
      end
      return 1`,
  },
  /** KEYS: the owners set. ARGV: owner key prefix. Returns the live owners and forgets the others. */
  nectarLiveOwners: {
    numberOfKeys: 1,
    lua: `
      local live = {}
      for _, o in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        if redis.call('EXISTS', ARGV[1] .. o) == 1 then live[#live + 1] = o else redis.call('SREM', KEYS[1], o) end
      end
      return live`,
  },
  /** KEYS: run hash. ARGV: claimant, owner key prefix. 1 if the run is now the claimant's. */
  nectarClaim: {
    numberOfKeys: 1,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      local cur = redis.call('HGET', KEYS[1], 'owner')
      if cur and cur ~= '' and cur ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. cur) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'owner', ARGV[1])
      return 1`,
  },
};

/** The commands ioredis defines from `SCRIPTS` (EVALSHA, falling back to EVAL on a new connection). */
interface ScriptCommands {
  nectarPutRun(...keysAndArgs: string[]): Promise<unknown>;
  nectarPutTasks(numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  nectarInterrupt(...keysAndArgs: string[]): Promise<unknown>;
  nectarLiveOwners(owners: string, ownerPrefix: string): Promise<unknown>;
  nectarClaim(run: string, owner: string, ownerPrefix: string): Promise<unknown>;
}

/** Every key, under the install's prefix (BullMQ's queues are `<prefix>:tasks-<queue>:*`, so they never meet these). */
function keys(p: string) {
  return {
    run: (id: string) => `${p}:run:${id}`,
    tasks: (runId: string) => `${p}:run:${runId}:tasks`,
    order: (runId: string) => `${p}:run:${runId}:order`,
    byCreated: `${p}:runs:by-created`,
    state: (s: RunState) => `${p}:runs:state:${s}`,
    latest: (taskId: string) => `${p}:task-latest:${taskId}`,
    taskSeq: `${p}:runs:task-seq`,
    owners: `${p}:runs:owners`,
    ownerPrefix: `${p}:runs:owner:`,
  };
}

function parseObject(text: string | null | undefined): Record<string, unknown> | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isRunState = (v: unknown): v is RunState => RUN_STATES.some((s) => s === v);
const isTaskState = (v: unknown): v is TaskState => TASK_STATES.some((s) => s === v);

/** The stored JSON of a run: everything but the owner, which is a field of its own (claims change it alone). */
const runJson = (run: RunRow): string => JSON.stringify({ ...run, owner: undefined });

/** A stored run back to a row; a field that does not parse is absent, a row without its essentials is skipped. */
function runFromJson(text: string | null | undefined, owner: string | null | undefined): RunRow | undefined {
  const o = parseObject(text);
  if (!o || !isStr(o.id) || !isStr(o.rootTaskId) || !isStr(o.ref) || !isRunState(o.state) || !isNum(o.createdAt)) return undefined;
  const run: RunRow = { id: o.id, rootTaskId: o.rootTaskId, ref: o.ref, params: toParams(o.params), state: o.state, createdAt: o.createdAt };
  if (isNum(o.startedAt)) run.startedAt = o.startedAt;
  if (isNum(o.endedAt)) run.endedAt = o.endedAt;
  const error = toError(o.error);
  if (error !== undefined) run.error = error;
  const counts = toCounts(o.counts);
  if (counts !== undefined) run.counts = counts;
  if (typeof o.interrupted === 'boolean') run.interrupted = o.interrupted;
  if (owner !== null && owner !== undefined) run.owner = owner;
  return run;
}

function taskFromJson(text: string | null | undefined): TaskRow | undefined {
  const o = parseObject(text);
  if (!o || !isStr(o.runId) || !isStr(o.taskId) || !isStr(o.name) || !isTaskState(o.state)) return undefined;
  const row: TaskRow = {
    runId: o.runId, taskId: o.taskId, name: o.name, params: toParams(o.params), state: o.state,
    skipped: o.skipped === true, attempts: isNum(o.attempts) ? o.attempts : 0,
    deps: Array.isArray(o.deps) ? o.deps.filter(isStr) : [],
  };
  if (isNum(o.startedAt)) row.startedAt = o.startedAt;
  if (isNum(o.endedAt)) row.endedAt = o.endedAt;
  const error = toError(o.error);
  if (error !== undefined) row.error = error;
  return row;
}


/**
 * The run store of distributed mode: every API server sharing one Redis sees the same runs.
 * A run is a hash (`<prefix>:run:<id>`: `json` and `owner`) indexed by sorted sets by creation
 * time, overall and per state; its task rows are a hash of JSON by task id plus a sorted set
 * of first-write order; `<prefix>:task-latest:<task id>` names the run that last wrote a task.
 * Writes are Lua scripts (atomic, and sent again whole if the connection drops under them)
 * issued without waiting in between, so a batch of thousands of task rows costs one round
 * trip. While Redis is down (restarting) commands wait in the client and go through when it
 * is back; reads wait too. Servers prove they are alive with expiring heartbeat keys, and only
 * runs of owners that stopped heartbeating are marked interrupted or can be claimed.
 */
export class RedisRunStore implements RunStore {
  private readonly redis: Redis & ScriptCommands;
  private readonly k: ReturnType<typeof keys>;
  private closing: Promise<void> | undefined;
  /** Once set, a lost connection is not retried: the client ends and what waits fails. */
  private stopRetrying = false;

  /**
   * `url` is `redis://` or `rediss://`; `prefix` is the install's key prefix (`NECTAR_QUEUE_PREFIX`).
   * Connection errors go to `onError` (by default they are dropped: commands wait and retry).
   */
  constructor(url: string, prefix = 'nectar', onError: (err: Error) => void = () => undefined) {
    this.k = keys(prefix);
    const redis = new Redis(url, {
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      retryStrategy: (times) => (this.stopRetrying ? null : Math.min(100 * times, MAX_RETRY_MS)),
      connectionName: `${prefix}:run-store`,
      scripts: SCRIPTS,
    });
    redis.on('error', onError);
    this.redis = redis as Redis & ScriptCommands;
  }

  async putRun(run: RunRow): Promise<void> {
    const k = this.k;
    const args = [run.id, String(run.createdAt), k.state(run.state), runJson(run)];
    if (run.owner !== undefined) args.push(run.owner);
    await this.redis.nectarPutRun(k.run(run.id), k.byCreated, ...RUN_STATES.map((st) => k.state(st)), ...args);
  }

  async putTasks(rows: readonly TaskRow[]): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const ks: string[] = [this.k.taskSeq];
      const args: string[] = [];
      for (const t of rows.slice(i, i + CHUNK)) {
        ks.push(this.k.tasks(t.runId), this.k.order(t.runId), this.k.latest(t.taskId));
        args.push(t.taskId, JSON.stringify(t), t.runId);
      }
      calls.push(this.redis.nectarPutTasks(ks.length, ...ks, ...args));
    }
    await Promise.all(calls);
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const [json, owner] = await this.redis.hmget(this.k.run(id), 'json', 'owner');
    return runFromJson(json, owner);
  }

  async listRuns(q: RunQuery): Promise<{ runs: RunRow[]; total: number }> {
    const limit = clampInt(q.limit, 50, 1, 500);
    const offset = clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const index = q.state === undefined ? this.k.byCreated : this.k.state(q.state);
    // Equal scores come in reverse member order: newest first, ties by id descending, as in SQLite.
    const [ids, total] = await Promise.all([this.redis.zrevrange(index, offset, offset + limit - 1), this.redis.zcard(index)]);
    const recs = await Promise.all(ids.map((id) => this.redis.hmget(this.k.run(id), 'json', 'owner')));
    const runs: RunRow[] = [];
    for (const [json, owner] of recs) {
      const run = runFromJson(json, owner);
      if (run) runs.push(run);
    }
    return { runs, total };
  }

  async getTasks(runId: string): Promise<TaskRow[]> {
    const [order, all] = await Promise.all([this.redis.zrange(this.k.order(runId), 0, '-1'), this.redis.hgetall(this.k.tasks(runId))]);
    const byId = new Map(Object.entries(all));
    const texts = order.map((id) => byId.get(id));
    for (const id of order) byId.delete(id);
    texts.push(...byId.values()); // rows without an order entry (not written by this store) go last
    return texts.map(taskFromJson).filter((t): t is TaskRow => t !== undefined);
  }

  async latestTask(taskId: string): Promise<TaskRow | undefined> {
    const runId = await this.redis.get(this.k.latest(taskId));
    return runId === null ? undefined : taskFromJson(await this.redis.hget(this.k.tasks(runId), taskId));
  }

  async markInterrupted(now: number): Promise<string[]> {
    const [queued, running, live] = await Promise.all([
      this.redis.zrange(this.k.state('QUEUED'), 0, '-1'),
      this.redis.zrange(this.k.state('RUNNING'), 0, '-1'),
      this.liveOwners(),
    ]);
    const found = await Promise.all(
      [...new Set([...queued, ...running])].map(async (id) => {
        const [[json, owner], tasks] = await Promise.all([this.redis.hmget(this.k.run(id), 'json', 'owner'), this.redis.hgetall(this.k.tasks(id))]);
        return { id, json, owner, tasks };
      }),
    );
    const marked = await Promise.all(
      found.map(async ({ id, json, owner, tasks }) => {
        const run = runFromJson(json, owner);
        if (!run || typeof json !== 'string' || !IN_FLIGHT.includes(run.state) || (isStr(owner) && live.has(owner))) return undefined;
        const args = [json, owner ?? '', runJson({ ...run, state: 'FAILED', interrupted: true, endedAt: now, error: RUN_INTERRUPTED }), id, String(run.createdAt)];
        for (const [taskId, text] of Object.entries(tasks)) {
          const row = taskFromJson(text);
          if (row?.state === 'RUNNING') args.push(taskId, text, JSON.stringify({ ...row, state: 'FAILED', endedAt: now, error: TASK_INTERRUPTED }));
          else if (row?.state === 'PENDING' || row?.state === 'QUEUED') args.push(taskId, text, JSON.stringify({ ...row, state: 'CANCELLED' }));
        }
        const k = this.k;
        const ok = await this.redis.nectarInterrupt(k.run(id), k.tasks(id), k.state('QUEUED'), k.state('RUNNING'), k.state('FAILED'), k.ownerPrefix + (owner ?? ''), ...args);
        return ok === 1 ? id : undefined;
      }),
    );
    return marked.filter(isStr).sort();
  }

  async heartbeat(owner: string, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const results = await this.redis.multi().set(this.k.ownerPrefix + owner, String(Date.now()), 'PX', ttl).sadd(this.k.owners, owner).exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  async liveOwners(): Promise<Set<string>> {
    const live = await this.redis.nectarLiveOwners(this.k.owners, this.k.ownerPrefix);
    return new Set(Array.isArray(live) ? live.filter(isStr) : []);
  }

  async claimRun(runId: string, owner: string): Promise<boolean> {
    return (await this.redis.nectarClaim(this.k.run(runId), owner, this.k.ownerPrefix)) === 1;
  }

  /**
   * Quit once pending commands are done. If Redis is away, the next reconnection attempt ends
   * the client; at worst the connection is dropped after `CLOSE_WAIT_MS`. Either way commands
   * still waiting then fail ("Connection is closed") instead of hanging.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const r = this.redis;
      this.stopRetrying = true;
      if (r.status === 'end') return;
      let timer: NodeJS.Timeout | undefined;
      const ended = new Promise<void>((res) => r.once('end', res));
      const waited = new Promise<void>((res) => (timer = setTimeout(res, CLOSE_WAIT_MS)));
      await Promise.race([r.quit().then(() => undefined, () => undefined), ended, waited]);
      clearTimeout(timer);
      if ((r.status as string) !== 'end') r.disconnect();
    })();
    return this.closing;
  }
}
