import Redis, { type RedisOptions } from 'ioredis';

/**
 * One ioredis connection for BullMQ or pub/sub. `maxRetriesPerRequest: null` (BullMQ workers
 * require it) and the offline queue mean commands wait while Redis restarts instead of
 * failing; reconnects back off up to 2 s.
 */
export function redisConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: false,
    ...extra,
  });
}

/** Quit politely; if Redis is gone, drop the connection after a short wait instead of hanging. */
export async function closeConnection(c: Redis): Promise<void> {
  if (c.status === 'end') return;
  await Promise.race([c.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  c.disconnect();
}
