import type { Command } from 'commander';
import pino from 'pino';
import { NAME_PATTERN } from '../core/identity';
import { NectarError } from '../core/errors';
import type { Runtime } from '../runtime/runtime';
import { NectarWorker } from '../runtime/worker';

function wholeNumber(flag: string, raw: string, min: number, max: number): number {
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
export function workerCommand(program: Command, runtime: (logger?: pino.Logger) => Runtime): void {
  program
    .command('worker')
    .description('distributed mode: take task jobs from Redis (BullMQ, NECTAR_REDIS_URL) and run them here')
    .option('-c, --concurrency <n>', 'tasks at once, per queue', '8')
    .option('-q, --queues <names>', 'task queues (capabilities) to take jobs from, comma-separated', 'default')
    .option('--grace <seconds>', 'on SIGTERM: how long running tasks may finish before they are handed back', '30')
    .action(async (o: { concurrency: string; queues: string; grace: string }) => {
      const concurrency = wholeNumber('--concurrency', o.concurrency, 1, 10_000);
      const grace = wholeNumber('--grace', o.grace, 0, 86_400) * 1000;
      const queues = parseQueues(o.queues);
      const rt = runtime(pino({ level: process.env['NECTAR_LOG_LEVEL'] ?? 'info' }));
      if (!rt.config.redisUrl) throw new NectarError('BAD_CONFIG', '`nectar worker` needs NECTAR_REDIS_URL (e.g. redis://127.0.0.1:6379)');
      await rt.checkTargets();
      const worker = new NectarWorker(rt, { queues, concurrency, grace });
      await worker.ready();
      process.stderr.write(`nectar worker ${worker.id} (pid ${process.pid}) ready: queues ${queues.join(',')}, concurrency ${concurrency}, ${rt.registry.tasks.length} tasks\n`);
      await new Promise<void>((res) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`nectar worker ${worker.id} stopping: ${worker.running} tasks running\n`);
          worker.close().then(res, res);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await rt.close();
    });
}
