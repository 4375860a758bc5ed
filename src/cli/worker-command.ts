import type { Command } from 'commander';
import { settlesWithin } from '../core/deadline';
import { NAME_PATTERN } from '../core/identity';
import { NectarError } from '../core/errors';
import type { Runtime } from '../runtime/runtime';
import { untilStopped } from './stop';

/** A stop may take this much longer than the grace period (handing jobs back, closing connections). */
export const STOP_SLACK_MS = 4000;

/** The runtime of a command: `server` for `serve` and `worker` (JSON logs at info), `cli` otherwise. */
export type RuntimeFor = (kind?: 'cli' | 'server') => Runtime;

/** `--autoscale 1..4` -> { min: 1, max: 4 }. */
export function parseRange(raw: string): { min: number; max: number } {
  const m = /^(\d+)\.\.(\d+)$/.exec(raw.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max < min || max > 256) throw new NectarError('USAGE', `--autoscale ${JSON.stringify(raw)}: expected MIN..MAX with 1 <= MIN <= MAX <= 256 (e.g. 1..4)`);
  return { min, max };
}

/** A whole-number flag, checked: a USAGE error names the flag and the range. */
export function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new NectarError('USAGE', `${flag} ${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
  return n;
}

/** `--queues a,b`: queue names checked like task option `queue`. */
export function parseQueues(raw: string): string[] {
  const queues = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (queues.length === 0) throw new NectarError('USAGE', `--queues ${JSON.stringify(raw)}: name at least one queue`);
  for (const q of queues) if (!NAME_PATTERN.test(q)) throw new NectarError('USAGE', `--queues: ${JSON.stringify(q)} is not a queue name (${NAME_PATTERN.source})`);
  return queues;
}

/** `nectar worker`: distributed mode's worker process. */
export function workerCommand(program: Command, runtime: RuntimeFor): void {
  program
    .command('worker')
    .description('distributed mode: take task jobs from Redis (BullMQ, NECTAR_REDIS_URL) and run them here')
    .option('-c, --concurrency <n>', 'tasks at once, per queue', '8')
    .option('-q, --queues <names>', 'task queues (capabilities) to take jobs from, comma-separated', 'default')
    .option('--grace <seconds>', 'on SIGTERM: how long running tasks may finish before they are handed back', '30')
    .option('--autoscale <min..max>', 'run MIN to MAX worker processes here, started and stopped by queue depth')
    .option('--scale-down-after <seconds>', 'with --autoscale: how long a surplus of processes lasts before one is stopped', '30')
    .action(async (o: { concurrency: string; queues: string; grace: string; autoscale?: string; scaleDownAfter: string }) => {
      const concurrency = wholeNumber('--concurrency', o.concurrency, 1, 10_000);
      const grace = wholeNumber('--grace', o.grace, 0, 86_400) * 1000;
      const queues = parseQueues(o.queues);
      if (o.autoscale !== undefined) {
        const range = parseRange(o.autoscale);
        const scaleDownAfter = wholeNumber('--scale-down-after', o.scaleDownAfter, 0, 86_400) * 1000;
        await supervise({ ...range, concurrency, queues, grace, scaleDownAfter }, runtime);
        return;
      }
      const rt = runtime('server');
      if (!rt.config.redisUrl) throw new NectarError('BAD_CONFIG', '`nectar worker` needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
      await rt.checkTargets();
      const worker = rt.worker({ queues, concurrency, grace });
      await worker.ready();
      process.stderr.write(`nectar worker ${worker.id} (pid ${process.pid}) ready: queues ${queues.join(',')}, concurrency ${concurrency}, ${rt.registry.tasks.length} tasks\n`);
      await untilStopped({
        boundMs: grace + STOP_SLACK_MS,
        onSignal: () => process.stderr.write(`nectar worker ${worker.id} stopping: ${worker.running} tasks running\n`),
        stop: async () => {
          await worker.close();
          await settlesWithin(rt.close(), STOP_SLACK_MS / 2);
        },
      });
      // Stopped: a task handed back after the grace period may still hold a timer; it must not
      // keep this process (or its writes) alive.
      process.exit(0);
    });
}

/** The autoscaling supervisor: no worker itself, it starts and stops `nectar worker` processes. */
async function supervise(o: { min: number; max: number; concurrency: number; queues: string[]; grace: number; scaleDownAfter: number }, runtime: RuntimeFor): Promise<void> {
  const rt = runtime();
  const sup = rt.supervisor({ ...o, slack: STOP_SLACK_MS, log: (msg) => process.stderr.write(`${msg}\n`) });
  process.stderr.write(`nectar worker autoscaler (pid ${process.pid}) ready: ${o.min}..${o.max} processes, queues ${o.queues.join(',')}, concurrency ${o.concurrency} each\n`);
  await untilStopped({
    boundMs: sup.boundMs,
    stop: async () => {
      await sup.close();
      await settlesWithin(rt.close(), 200);
    },
  });
}
