/**
 * The executor contract on the BullMQ executor: a real redis-server started here and one real
 * `nectar worker --concurrency 1` child process that runs every attempt.
 */
import { executorContract } from '../contract/executor-contract';
import { haveRedis, startRedis } from '../helpers/redis';
import { makeRuntime } from '../helpers/runtime';
import { startWorker, stopWorkers } from '../helpers/workers';

executorContract(
  'BullMQ',
  async (chains, targets) => {
    const redis = await startRedis();
    const env = { NECTAR_REDIS_URL: redis.url, NECTAR_QUEUE_PREFIX: 'contract', NECTAR_QUEUE_CHECK_INTERVAL: '500' };
    const worker = await startWorker({ ...env, NECTAR_CHAINS: chains, NECTAR_TARGETS: targets, NECTAR_STALLED_INTERVAL: '1000', NECTAR_LOCK_DURATION: '2000' }, ['--concurrency', '1']).catch(async (err: unknown) => {
      await redis.stop();
      throw err;
    });
    const rt = makeRuntime(chains, targets, env);
    return {
      rt,
      executor: 'bullmq',
      runsIn: (pid) => pid === worker.pid,
      async close() {
        await rt.close();
        await stopWorkers([worker]);
        await redis.stop();
      },
    };
  },
  haveRedis() ? describe : describe.skip,
);
