import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { queueName } from './protocol';

/**
 * Per-queue rate limits (`NECTAR_QUEUE_RATES`) as BullMQ global rate limits. BullMQ keeps a
 * queue's limit in its `<prefix>:<queue>:meta` hash until someone removes it, so a limit the
 * configuration no longer names would outlive a restart; here the configuration is the truth:
 * a queue's limit is set when configured and removed when not.
 */

/** At most `max` jobs of one queue per `durationMs`, across all workers. */
export interface QueueRate {
  max: number;
  durationMs: number;
}

/** Rate limits by task queue name. */
export type QueueRates = Readonly<Record<string, QueueRate>>;

/** The configured rate of a task queue, if any (own keys only: a queue may be called `constructor`). */
export function rateOf(rates: QueueRates | undefined, name: string): QueueRate | undefined {
  return rates && Object.hasOwn(rates, name) ? rates[name] : undefined;
}

type RateLimited = Pick<Queue, 'setGlobalRateLimit' | 'removeGlobalRateLimit'>;

/** Sets the queue's limit to `rate`, or removes any limit it has when none is configured; true when one was removed. */
export async function applyQueueRate(queue: RateLimited, rate: QueueRate | undefined): Promise<boolean> {
  if (rate) {
    await queue.setGlobalRateLimit(rate.max, rate.durationMs);
    return false;
  }
  return (await queue.removeGlobalRateLimit()) > 0;
}

/** `s` matched literally in a Redis glob pattern. */
function globLiteral(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The nectar task queues under `prefix` that Redis has a meta hash for (found with SCAN, not KEYS: SCAN does not block Redis). */
export async function knownQueues(conn: Redis, prefix: string): Promise<string[]> {
  const head = `${prefix}:`;
  const tail = ':meta';
  const match = `${globLiteral(head + queueName(''))}*${globLiteral(tail)}`;
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await conn.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bull = key.slice(head.length, -tail.length);
      const name = bull.slice(queueName('').length);
      // BullMQ queue names hold no ':'; a key with one belongs to a longer prefix or is no queue's meta.
      if (name && !bull.includes(':') && queueName(name) === bull) names.add(name);
    }
  } while (cursor !== '0');
  return [...names].sort();
}

/**
 * Removes the global rate limit of every nectar task queue under `prefix` that `rates` does not
 * name, whether or not a task uses it now. Returns the queues that had one.
 */
export async function removeUnconfiguredRates(conn: Redis, prefix: string, rates: QueueRates | undefined): Promise<string[]> {
  const stale = (await knownQueues(conn, prefix)).filter((name) => !rateOf(rates, name));
  const removed = await Promise.all(stale.map(async (name) => {
    // skipMetasUpdate: a Queue made only to edit the limit must not write anything else to meta.
    const queue = new Queue(queueName(name), { connection: conn, prefix, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    try {
      return (await applyQueueRate(queue, undefined)) ? name : undefined;
    } finally {
      await queue.close().catch(() => undefined);
    }
  }));
  return removed.filter((n): n is string => n !== undefined);
}
