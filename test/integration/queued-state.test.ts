/**
 * A distributed task waiting for a worker of its queue is QUEUED, not RUNNING, in the events,
 * the run's DAG and the task status of the API; it turns RUNNING when a real `nectar worker`
 * takes it. Real redis-server, real server over it.
 */
import { join } from 'node:path';
import type { NectarEventMap } from '../../src/core/events';
import { haveRedis, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { call, pollDone, startTestServer } from '../helpers/server';
import { startWorker, stopWorkers, type TestWorker } from '../helpers/workers';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
/** Only workers offering the 'gpu' queue take it. */
export class RenderTask extends task({ n: p.int() }, { queue: 'gpu' }) {
  async run(ctx: RunContext<RenderTask>) {
    await ctx.output.write('rendered ' + this.params.n);
  }
}
`;

const run = haveRedis() ? describe : describe.skip;

run('QUEUED: a task waiting for a worker (real Redis, real worker)', () => {
  let redis: TestRedis;
  let dir: string;
  let chains: string;
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('nectar-queued-');
    chains = writeChains(dir, { 'gpu/render_chain.ts': CHAIN });
  });
  afterAll(async () => {
    await stopWorkers(workers.splice(0));
    await redis?.stop();
    rmDir(dir);
  });

  test('is QUEUED until a worker of its queue starts it, then RUNNING and DONE', async () => {
    const env = { NECTAR_REDIS_URL: redis.url, NECTAR_QUEUE_PREFIX: 'q1', NECTAR_QUEUE_CHECK_INTERVAL: '500' };
    const { srv, base, rt } = await startTestServer(chains, dir, env);
    const states: NectarEventMap['task:state'][] = [];
    rt.events.on('task:state', (e) => states.push(e));
    try {
      const started = await call(`${base}/api/chains/gpu/RenderTask?n=1`, { method: 'POST' });
      expect(started.status).toBe(202);
      const runId = started.body.data['run_id'] as string;
      const taskId = started.body.data['task_id'] as string;
      for (let i = 0; i < 200 && !states.some((e) => e.state === 'QUEUED'); i++) await new Promise((r) => setTimeout(r, 25));

      // No worker takes 'gpu' yet: queued, not running, everywhere.
      expect(states.map((e) => e.state)).toEqual(['PENDING', 'QUEUED']);
      const status = await call(`${base}/api/chainstatus?chain=${encodeURIComponent(taskId)}`);
      expect(status.body.data['job_status']).toBe('QUEUED');
      const dag = await call(`${base}/api/runs/${runId}`);
      const nodes = dag.body.data['nodes'] as { task_id: string; state: string; started_at: number | null }[];
      expect(nodes.find((n) => n.task_id === taskId)).toMatchObject({ state: 'QUEUED', started_at: null });

      const before = Date.now();
      workers.push(await startWorker({ ...env, NECTAR_CHAINS: chains, NECTAR_TARGETS: join(dir, 'targets') }, ['--queues', 'gpu']));
      const done = await pollDone(`${base}/api/chainstatus?chain=${encodeURIComponent(taskId)}`);
      expect(done.body.data['job_status']).toBe('DONE');
      expect(states.map((e) => [e.previous, e.state])).toEqual([
        [undefined, 'PENDING'],
        ['PENDING', 'QUEUED'],
        ['QUEUED', 'RUNNING'],
        ['RUNNING', 'DONE'],
      ]);
      const after = await call(`${base}/api/runs/${runId}`);
      const node = (after.body.data['nodes'] as { task_id: string; started_at: number }[]).find((n) => n.task_id === taskId);
      // Started when the worker took it, not when it was queued.
      expect(node?.started_at).toBeGreaterThanOrEqual(before);
    } finally {
      await srv.close();
    }
  });
});
