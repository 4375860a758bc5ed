import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { settlesWithin } from '../core/deadline';
import { Autoscaler } from './autoscale';
import { queueDepth } from './executor';
import { queueName } from './protocol';
import { redisConnection } from './redis-connection';

const NECTAR_BIN = resolve(__dirname, '../../bin/nectar.js');

export interface SupervisorOptions {
  /** NECTAR_REDIS_URL and NECTAR_QUEUE_PREFIX. */
  readonly url: string;
  readonly prefix: string;
  readonly min: number;
  readonly max: number;
  readonly concurrency: number;
  readonly queues: readonly string[];
  /** Each child's grace period (ms). */
  readonly grace: number;
  readonly scaleDownAfter: number;
  /** How much longer than its grace period a child may take to stop (ms). */
  readonly slack: number;
  log(msg: string): void;
}

/** A running autoscaling supervisor: `close()` stops its children (each within its grace), then its connections. */
export interface Supervisor {
  /** How long a whole stop may take (ms). */
  readonly boundMs: number;
  close(): Promise<void>;
}

/** `nectar worker --autoscale`: no worker itself, it starts and stops `nectar worker` processes by queue depth. */
export function startSupervisor(o: SupervisorOptions): Supervisor {
  const conn = redisConnection(o.url);
  conn.on('error', () => undefined);
  const queues = o.queues.map((q) => new Queue(queueName(q), { connection: conn, prefix: o.prefix }));
  const scaler = new Autoscaler({
    min: o.min,
    max: o.max,
    concurrency: o.concurrency,
    scaleDownAfter: o.scaleDownAfter,
    log: o.log,
    spawn: () => spawn(process.execPath, [NECTAR_BIN, 'worker', '--concurrency', String(o.concurrency), '--queues', o.queues.join(','), '--grace', String(o.grace / 1000)], { stdio: ['ignore', 'inherit', 'inherit'] }),
    depth: async () => {
      const ds = await Promise.all(queues.map(queueDepth));
      return ds.reduce((n, d) => n + d.waiting + d.active, 0);
    },
  });
  scaler.start();
  return {
    // Each child stops within its own grace + slack; the supervisor kills any that does not.
    boundMs: o.grace + o.slack + 1000,
    async close() {
      await scaler.close(o.grace + o.slack + 500);
      await settlesWithin(Promise.all(queues.map((q) => q.close().catch(() => undefined))), 200);
      conn.disconnect();
    },
  };
}
