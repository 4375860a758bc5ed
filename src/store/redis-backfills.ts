import type Redis from 'ioredis';
import { backfillFromJson, clampInt, partOf } from './rows';
import type { BackfillPart, BackfillRow } from './types';

/** Parts per HSET: a 3,650-day backfill is a few commands, sent without waiting in between. */
const CHUNK = 1000;

/**
 * Backfills in the Redis run store: each row is JSON at `<prefix>:backfill:<id>`, listed by
 * a sorted set by creation time; its partitions are one hash (`value` -> `state runId`).
 */
export class RedisBackfills {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  #row = (id: string): string => `${this.prefix}:backfill:${id}`;
  #parts = (id: string): string => `${this.prefix}:backfill:${id}:parts`;
  get #byCreated(): string {
    return `${this.prefix}:backfills:by-created`;
  }

  async put(b: BackfillRow): Promise<void> {
    const results = await this.redis.multi().set(this.#row(b.id), JSON.stringify(b)).zadd(this.#byCreated, b.createdAt, b.id).exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  async get(id: string): Promise<BackfillRow | undefined> {
    return backfillFromJson(await this.redis.get(this.#row(id)));
  }

  /** The row's JSON as stored, for a compare-and-set. */
  raw(id: string): Promise<string | null> {
    return this.redis.get(this.#row(id));
  }

  key(id: string): string {
    return this.#row(id);
  }

  async list(q: { limit?: number; offset?: number }): Promise<{ backfills: BackfillRow[]; total: number }> {
    const limit = clampInt(q.limit, 50, 1, 500);
    const offset = clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const [ids, total] = await Promise.all([this.redis.zrevrange(this.#byCreated, offset, offset + limit - 1), this.redis.zcard(this.#byCreated)]);
    const rows = ids.length === 0 ? [] : await this.redis.mget(...ids.map(this.#row));
    return { backfills: rows.map(backfillFromJson).filter((b): b is BackfillRow => b !== undefined), total };
  }

  async putParts(parts: readonly BackfillPart[]): Promise<void> {
    const byBackfill = new Map<string, string[]>();
    for (const p of parts) {
      const list = byBackfill.get(p.backfillId) ?? [];
      list.push(p.value, `${p.state} ${p.runId ?? ''}`);
      byBackfill.set(p.backfillId, list);
    }
    const calls: Promise<unknown>[] = [];
    for (const [id, flat] of byBackfill) for (let i = 0; i < flat.length; i += 2 * CHUNK) calls.push(this.redis.hset(this.#parts(id), ...flat.slice(i, i + 2 * CHUNK)));
    await Promise.all(calls);
  }

  /** In the order of the backfill's values; a value with no entry is PENDING. */
  async parts(id: string): Promise<BackfillPart[]> {
    const [b, all] = await Promise.all([this.get(id), this.redis.hgetall(this.#parts(id))]);
    return (b?.values ?? Object.keys(all)).map((v) => {
      const [state, runId] = (all[v] ?? '').split(' ');
      return partOf(id, v, state, runId);
    });
  }
}
