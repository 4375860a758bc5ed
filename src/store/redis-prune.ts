import type Redis from 'ioredis';
import { RUN_STATES, type RunState, isActiveRun } from '../core/states';
import { runFromJson } from './redis-rows';

/** The keys a prune touches (the Redis store's own layout). */
export interface PruneKeys {
  run(id: string): string;
  tasks(runId: string): string;
  order(runId: string): string;
  byCreated: string;
  state(s: RunState): string;
  latest(taskId: string): string;
  taskRuns(taskId: string): string;
}

const PAGE = 500;

/**
 * Remove the runs created before `before` that are not in flight, with their task rows (and
 * the "latest run of this task" pointers that still name them, and their ids in the runs sets
 * of their tasks: a set left empty is gone with its last member); returns how many runs went.
 * One run at a time in a MULTI, so a reader sees a run whole or not at all.
 */
export async function pruneRedisRuns(redis: Redis, k: PruneKeys, before: number): Promise<number> {
  let pruned = 0;
  let kept = 0;
  for (;;) {
    const ids = await redis.zrangebyscore(k.byCreated, '-inf', `(${before}`, 'LIMIT', kept, PAGE);
    if (ids.length === 0) return pruned;
    for (const id of ids) {
      const run = runFromJson(await redis.hget(k.run(id), 'json'), null);
      if (run && isActiveRun(run.state)) {
        kept++;
        continue;
      }
      const taskIds = await redis.hkeys(k.tasks(id));
      const latest = taskIds.length > 0 ? await redis.mget(...taskIds.map((t) => k.latest(t))) : [];
      const m = redis.multi().del(k.run(id), k.tasks(id), k.order(id)).zrem(k.byCreated, id);
      for (const s of RUN_STATES) m.zrem(k.state(s), id);
      taskIds.forEach((t, i) => {
        m.zrem(k.taskRuns(t), id);
        if (latest[i] === id) m.del(k.latest(t));
      });
      await m.exec();
      pruned++;
    }
  }
}
