import Redis from 'ioredis';
import { RUN_STATES, type RunState, isActiveRun, isNotStarted } from '../core/states';
import { RedisBackfills } from './redis-backfills';
import type { BackfillPart, BackfillRow, DeadlineMiss, RunQuery, RunRow, RunStore, ScheduleState, TaskInRun, TaskRow } from './types';
import { RUN_INTERRUPTED, TASK_INTERRUPTED, backfillFromJson } from './rows';
import { isStr, runFromJson, runJson, scheduleFromHash, taskFromJson } from './redis-rows';
import { type RunScripts, runScripts, type TaskRewrite } from './redis-scripts';
import { pruneRedisRuns } from './redis-prune';
import { type ListContext, listRedisRuns, redisTaskRuns } from './redis-run-list';

/** Task rows per script call: a 5,000-row batch is 10 calls sent back to back (one round trip), none blocking Redis for long. */
const CHUNK = 500;
/** Keys per MGET of `latestTasks`. */
const MGET_CHUNK = 1000;
/** Longest wait between reconnection attempts. */
const MAX_RETRY_MS = 2000;
/**
 * How long `close()` lets pending commands finish before it drops the connection. Longer than
 * the longest retry wait, so that a reconnection attempt is made (and fails, ending the client
 * and failing what waits) rather than one left scheduled, which `disconnect()` would not end.
 */
const CLOSE_WAIT_MS = MAX_RETRY_MS + 500;

/** Every key, under the install's prefix (BullMQ's queues are `<prefix>:tasks-<queue>:*`, so they never meet these). */
function keys(p: string) {
  return {
    run: (id: string) => `${p}:run:${id}`,
    tasks: (runId: string) => `${p}:run:${runId}:tasks`,
    order: (runId: string) => `${p}:run:${runId}:order`,
    byCreated: `${p}:runs:by-created`,
    state: (s: RunState) => `${p}:runs:state:${s}`,
    latest: (taskId: string) => `${p}:task-latest:${taskId}`,
    taskRuns: (taskId: string) => `${p}:task-runs:${taskId}`,
    taskSeq: `${p}:runs:task-seq`,
    owners: `${p}:runs:owners`,
    ownerPrefix: `${p}:runs:owner:`,
    schedule: (key: string) => `${p}:schedule:${key}`,
    schedules: `${p}:schedules`,
    misses: `${p}:deadline-misses`,
  };
}

/**
 * The run store of distributed mode: every API server sharing one Redis sees the same runs.
 * A run is a hash (`<prefix>:run:<id>`: `json` and `owner`) indexed by sorted sets by creation
 * time, overall and per state; its task rows are a hash of JSON by task id plus a sorted set
 * of first-write order; `<prefix>:task-latest:<task id>` names the run that last wrote a task,
 * and `<prefix>:task-runs:<task id>` holds the newest runs that recorded it (its history).
 * Writes are Lua scripts (atomic, and sent again whole if the connection drops under them)
 * issued without waiting in between, so a batch of thousands of task rows costs one round
 * trip. While Redis is down (restarting) commands wait in the client and go through when it
 * is back; reads wait too. Servers prove they are alive with expiring heartbeat keys, and only
 * runs of owners that stopped heartbeating are marked interrupted or can be claimed.
 */
export class RedisRunStore implements RunStore {
  private readonly redis: Redis;
  private readonly scripts: RunScripts;
  private readonly k: ReturnType<typeof keys>;
  private readonly backfills: RedisBackfills;
  readonly #list: ListContext;
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
    });
    redis.on('error', onError);
    this.redis = redis;
    this.scripts = runScripts(redis);
    this.#list = { redis, scripts: this.scripts, k: this.k };
    this.backfills = new RedisBackfills(redis, prefix);
  }

  async putRun(run: RunRow): Promise<void> {
    const k = this.k;
    await this.scripts.putRun(
      { run: k.run(run.id), byCreated: k.byCreated, states: RUN_STATES.map((st) => k.state(st)) },
      { id: run.id, createdAt: run.createdAt, stateSet: k.state(run.state), json: runJson(run), owner: run.owner },
    );
  }

  async putTasks(rows: readonly TaskRow[]): Promise<void> {
    const k = this.k;
    const calls: Promise<void>[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK).map((t) => ({
        tasks: k.tasks(t.runId), order: k.order(t.runId), latest: k.latest(t.taskId), taskRuns: k.taskRuns(t.taskId), taskId: t.taskId, json: JSON.stringify(t), runId: t.runId,
      }));
      calls.push(this.scripts.putTasks({ taskSeq: k.taskSeq, byCreated: k.byCreated }, chunk));
    }
    await Promise.all(calls);
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const [json, owner] = await this.redis.hmget(this.k.run(id), 'json', 'owner');
    return runFromJson(json, owner);
  }

  listRuns(q: RunQuery): Promise<{ runs: RunRow[]; total: number }> {
    return listRedisRuns(this.#list, q);
  }

  taskRuns(taskId: string, limit: number): Promise<TaskInRun[]> {
    return redisTaskRuns(this.#list, taskId, limit);
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

  async latestTasks(taskIds: readonly string[]): Promise<Map<string, TaskRow>> {
    const ids = [...new Set(taskIds)];
    const out = new Map<string, TaskRow>();
    if (ids.length === 0) return out;
    // Two round trips whatever the count: the runs that last wrote each id (MGETs sent back to back), then their rows (one pipeline).
    const chunks: Promise<Array<string | null>>[] = [];
    for (let i = 0; i < ids.length; i += MGET_CHUNK) chunks.push(this.redis.mget(ids.slice(i, i + MGET_CHUNK).map((id) => this.k.latest(id))));
    const runIds = (await Promise.all(chunks)).flat();
    const found = ids.flatMap((id, i) => (isStr(runIds[i]) ? [{ id, runId: runIds[i] }] : []));
    if (found.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const f of found) pipe.hget(this.k.tasks(f.runId), f.id);
    const texts = (await pipe.exec()) ?? [];
    found.forEach((f, i) => {
      const [err, text] = texts[i] ?? [null, null];
      if (err) throw err;
      const row = taskFromJson(isStr(text) ? text : null);
      if (row) out.set(f.id, row);
    });
    return out;
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
        if (!run || typeof json !== 'string' || !isActiveRun(run.state) || (isStr(owner) && live.has(owner))) return undefined;
        const changed: TaskRewrite[] = [];
        for (const [taskId, text] of Object.entries(tasks)) {
          const row = taskFromJson(text);
          if (row?.state === 'RUNNING') changed.push({ taskId, json: text, newJson: JSON.stringify({ ...row, state: 'FAILED', endedAt: now, error: TASK_INTERRUPTED }) });
          else if (row && isNotStarted(row.state)) changed.push({ taskId, json: text, newJson: JSON.stringify({ ...row, state: 'CANCELLED' }) });
        }
        const k = this.k;
        const ok = await this.scripts.interrupt(
          { run: k.run(id), tasks: k.tasks(id), queued: k.state('QUEUED'), running: k.state('RUNNING'), failed: k.state('FAILED'), ownerKey: k.ownerPrefix + (owner ?? '') },
          { json, owner: owner ?? '', newJson: runJson({ ...run, state: 'FAILED', interrupted: true, endedAt: now, error: RUN_INTERRUPTED }), runId: id, createdAt: run.createdAt, tasks: changed },
        );
        return ok ? id : undefined;
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
    return new Set(await this.scripts.liveOwners({ owners: this.k.owners }, { ownerPrefix: this.k.ownerPrefix }));
  }

  async claimRun(runId: string, owner: string): Promise<boolean> {
    return this.scripts.claim({ run: this.k.run(runId) }, { owner, ownerPrefix: this.k.ownerPrefix });
  }

  async listSchedules(): Promise<ScheduleState[]> {
    const keys = (await this.redis.smembers(this.k.schedules)).sort();
    const hashes = await Promise.all(keys.map((key) => this.redis.hgetall(this.k.schedule(key))));
    return keys.map((key, i) => scheduleFromHash(key, hashes[i] ?? {})).filter((s): s is ScheduleState => s !== undefined);
  }

  async initSchedule(key: string, now: number): Promise<ScheduleState> {
    return this.#schedule(key, await this.scripts.scheduleInit(this.#scheduleKeys(key), { key, now }));
  }

  async claimTick(key: string, tick: number, now: number, runId?: string): Promise<boolean> {
    return this.scripts.scheduleClaim(this.#scheduleKeys(key), { key, tick, now, runId });
  }

  async setPaused(key: string, paused: boolean, now: number): Promise<ScheduleState> {
    return this.#schedule(key, await this.scripts.schedulePause(this.#scheduleKeys(key), { key, paused, now }));
  }

  putBackfill(b: BackfillRow): Promise<void> {
    return this.backfills.put(b);
  }

  getBackfill(id: string): Promise<BackfillRow | undefined> {
    return this.backfills.get(id);
  }

  listBackfills(q: { limit?: number; offset?: number }): Promise<{ backfills: BackfillRow[]; total: number }> {
    return this.backfills.list(q);
  }

  async claimBackfill(id: string, owner: string): Promise<BackfillRow | undefined> {
    const read = await this.backfills.raw(id);
    const row = backfillFromJson(read);
    if (read === null || row === undefined || row.state !== 'RUNNING') return undefined;
    const cur = row.owner;
    const ownerKey = cur === undefined || cur === '' || cur === owner ? '' : this.k.ownerPrefix + cur;
    const claimed: BackfillRow = { ...row, owner };
    return (await this.scripts.backfillClaim({ backfill: this.backfills.key(id), ownerKey }, { read, json: JSON.stringify(claimed) })) ? claimed : undefined;
  }

  putBackfillParts(parts: readonly BackfillPart[]): Promise<void> {
    return this.backfills.putParts(parts);
  }

  getBackfillParts(id: string): Promise<BackfillPart[]> {
    return this.backfills.parts(id);
  }

  claimDeadline(key: string, tick: number, now: number): Promise<boolean> {
    return this.scripts.scheduleDeadline(this.#scheduleKeys(key), { key, tick, now });
  }

  async putDeadlineMiss(m: DeadlineMiss): Promise<void> {
    await this.redis.hset(this.k.misses, m.taskId, JSON.stringify(m));
  }

  async deadlineMisses(taskIds: readonly string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const found = await this.redis.hmget(this.k.misses, ...taskIds);
    return new Set(taskIds.filter((_, i) => found[i] !== null));
  }

  #scheduleKeys(key: string): { schedule: string; schedules: string } {
    return { schedule: this.k.schedule(key), schedules: this.k.schedules };
  }

  #schedule(key: string, h: Record<string, string>): ScheduleState {
    const s = scheduleFromHash(key, h);
    if (!s) throw new Error(`the schedule state of ${key} in Redis is not one nectar wrote (no cursor)`);
    return s;
  }

  pruneRuns(before: number): Promise<number> {
    return pruneRedisRuns(this.redis, this.k, before);
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
