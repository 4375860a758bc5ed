import type Redis from 'ioredis';
import type { RunState } from '../core/states';
import { isStr, runFromJson, taskFromJson } from './redis-rows';
import type { RunScripts } from './redis-scripts';
import { clampInt } from './rows';
import { filtersRows, newestFirst, runFilter } from './run-filter';
import { type RunQuery, type RunRow, TASK_RUNS_KEPT, type TaskInRun } from './types';

/** The keys a listing reads (the Redis store's own layout). */
export interface ListKeys {
  run(id: string): string;
  tasks(runId: string): string;
  byCreated: string;
  state(s: RunState): string;
  taskRuns(taskId: string): string;
}

/** What the listings read with: the connection, the store's scripts, its keys. */
export interface ListContext {
  readonly redis: Redis;
  readonly scripts: Pick<RunScripts, 'runRows'>;
  readonly k: ListKeys;
}

/** Runs read per round trip when a listing filters on what only their rows hold (one script call each). */
const SCAN = 500;

/** Runs by id, in one command (the run-rows script); undefined for a run gone or not parsed. */
async function readRuns(c: ListContext, ids: readonly string[]): Promise<Array<RunRow | undefined>> {
  const rows = await c.scripts.runRows({ runs: ids.map((id) => c.k.run(id)) });
  return rows.map(([json, owner]) => runFromJson(json, owner));
}

/**
 * A page of the runs matching `q`, newest first, and how many match in all. The state (or the
 * by-created set when none is asked) is scored by creation, so state and from/to are index
 * ranges: ZREVRANGEBYSCORE and ZCOUNT. A task or params filter needs the rows themselves:
 * such a listing scans every run of the range, 500 per round trip, matching each with
 * `runFilter` and counting all matches for `total`; it is as long as the range is (the
 * retention bounds it). The scan pages by score (from the last score read, past the ids of
 * that score already read), so a page costs no walk over the ones before it, and runs
 * created meanwhile (above the cursor) do not shift it.
 */
export async function listRedisRuns(c: ListContext, q: RunQuery): Promise<{ runs: RunRow[]; total: number }> {
  const { redis, k } = c;
  const limit = clampInt(q.limit, 50, 1, 500);
  const offset = clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const index = q.state === undefined ? k.byCreated : k.state(q.state);
  const min = q.from === undefined ? '-inf' : String(q.from);
  const max = q.to === undefined ? '+inf' : `(${q.to}`;
  if (!filtersRows(q)) {
    // Equal scores come in reverse member order: newest first, ties by id descending, as in SQLite.
    // Without bounds, by rank: a deep page is a seek, where LIMIT after a score range walks the offset.
    const bounded = q.from !== undefined || q.to !== undefined;
    const [ids, total] = await Promise.all([
      bounded ? redis.zrevrangebyscore(index, max, min, 'LIMIT', offset, limit) : redis.zrevrange(index, offset, offset + limit - 1),
      bounded ? redis.zcount(index, min, max) : redis.zcard(index),
    ]);
    return { runs: (await readRuns(c, ids)).filter((r): r is RunRow => r !== undefined), total };
  }
  const matches = runFilter(q);
  const range = (top: string, skip: number): Promise<string[]> => redis.zrevrangebyscore(index, top, min, 'WITHSCORES', 'LIMIT', skip, SCAN);
  const runs: RunRow[] = [];
  let total = 0;
  let top = max;
  let skip = 0;
  let scored = await range(top, skip);
  for (;;) {
    const ids = scored.filter((_, i) => i % 2 === 0);
    const reading = readRuns(c, ids);
    let next: Promise<string[]> | undefined;
    if (ids.length === SCAN) {
      // The cursor: the page's last score, past its ids of that score (and those of earlier pages, if all the page had it).
      const last = scored[scored.length - 1] ?? '';
      let same = 0;
      for (let i = scored.length - 1; i > 0 && scored[i] === last; i -= 2) same++;
      skip = last === top ? skip + same : same;
      top = last;
      next = range(top, skip);
    }
    for (const run of await reading) {
      if (!run || !matches(run)) continue;
      if (total >= offset && runs.length < limit) runs.push(run);
      total++;
    }
    if (!next) return { runs, total };
    scored = await next;
  }
}

/**
 * See `RunStore.taskRuns`: the task's runs set (at most TASK_RUNS_KEPT ids, kept by the
 * put-tasks script, cleaned by the prune) read whole, then each run and the task's row in it
 * in one pipeline; a run gone, or a row missing, is left out.
 */
export async function redisTaskRuns(c: ListContext, taskId: string, limit: number): Promise<TaskInRun[]> {
  const { redis, k } = c;
  const n = clampInt(limit, 20, 1, TASK_RUNS_KEPT);
  const ids = await redis.zrevrange(k.taskRuns(taskId), 0, TASK_RUNS_KEPT - 1);
  if (ids.length === 0) return [];
  const pipe = redis.pipeline();
  for (const id of ids) pipe.hget(k.tasks(id), taskId);
  const [runs, texts] = await Promise.all([readRuns(c, ids), pipe.exec()]);
  const out: TaskInRun[] = [];
  ids.forEach((_, i) => {
    const run = runs[i];
    const [err, text] = texts?.[i] ?? [null, null];
    if (err) throw err;
    const task = taskFromJson(isStr(text) ? text : null);
    if (run && task) out.push({ run, task });
  });
  return out.sort((a, b) => newestFirst(a.run, b.run)).slice(0, n);
}
