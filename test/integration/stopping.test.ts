/**
 * Every process stops, and dynamic requirements never deadlock: real `nectar worker`,
 * `nectar serve` and `nectar worker --autoscale` processes on a real redis-server that the
 * tests stop under them; SIGTERM by PID; a worker's stop bounded by its grace period plus a
 * few seconds with Redis up or down, with or without a task running (even one that ignores
 * its abort signal); `ctx.require()` on a worker with `--concurrency 1`, which then stops
 * cleanly (with one slot on every executor: test/contract/executor-contract.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import pino from 'pino';
import { taskFolder } from '../../src/core/binding';
import { queueName } from '../../src/distributed/protocol';
import { redisConnection } from '../../src/distributed/redis-connection';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';
import { haveRedis, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { alive, exitWithin, startNectar, startServe, startWorker, stopWorkers, type TestWorker } from '../helpers/workers';

const CHAIN = `
import { appendFileSync } from 'node:fs';
import { p, task, type RunContext } from 'nectar';

function journal(event: string, id: string): void {
  appendFileSync(process.env['NECTAR_TEST_JOURNAL'] as string, \`\${process.pid} \${event} \${id}\\n\`);
}

/** Ignores its abort signal: sleeps, then tries to write. */
export class StubbornTask extends task({ tag: p.string(), ms: p.int({ default: 20000 }) }) {
  async run(ctx: RunContext<StubbornTask>) {
    journal('start', ctx.taskId);
    await new Promise((r) => setTimeout(r, this.params.ms));
    try {
      await ctx.output.write('late');
      journal('wrote', ctx.taskId);
    } catch (err) {
      journal('refused', ctx.taskId);
    }
  }
}

export class DayTask extends task({ day: p.int() }) {
  async run(ctx: RunContext<DayTask>) {
    journal('start', ctx.taskId);
    await ctx.output.write(\`d\${this.params.day};\`);
  }
}

/** Asks for its days at run time: must not deadlock with one slot. */
export class ReportTask extends task({ days: p.int({ default: 2 }) }) {
  async run(ctx: RunContext<ReportTask>) {
    journal('start', ctx.taskId);
    const deps = await ctx.require(Array.from({ length: this.params.days }, (_, day) => new DayTask({ day })));
    let s = '';
    for (const d of deps) s += await d.readText();
    await ctx.output.write(s);
  }
}
`;

const BOUND_MS = 7000;

let dir: string;
let chains: string;
let journalPath: string;
let n = 0;

beforeAll(() => {
  dir = tempDir('nectar-stop-');
  chains = writeChains(dir, { 'stop/stop_chain.ts': CHAIN });
  journalPath = join(dir, 'journal.log');
  process.env['NECTAR_TEST_JOURNAL'] = journalPath;
});
afterAll(() => rmDir(dir));
beforeEach(() => {
  writeFileSync(journalPath, '');
  n++;
});

const journal = (): string[] => readFileSync(journalPath, 'utf8').split('\n').filter(Boolean);
const started = (): number => journal().filter((l) => l.includes(' start ')).length;
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

const withRedis = haveRedis() ? describe : describe.skip;

withRedis('stopping with Redis up and down (real redis-server, real processes)', () => {
  let redis: TestRedis;
  let env: Record<string, string>;
  const procs: TestWorker[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    env = {
      NECTAR_REDIS_URL: redis.url,
      NECTAR_CHAINS: chains,
      NECTAR_TARGETS: join(dir, `targets-${n}`),
      NECTAR_QUEUE_PREFIX: `s${n}`,
      NECTAR_STALLED_INTERVAL: '1000',
      NECTAR_LOCK_DURATION: '2000',
      NECTAR_QUEUE_CHECK_INTERVAL: '500',
      NECTAR_TEST_JOURNAL: journalPath,
    };
  });
  afterEach(async () => {
    await stopWorkers(procs.splice(0));
    await redis.stop();
  });

  const server = (): Runtime => new Runtime({ config: loadConfig(env), logger: pino({ level: 'silent' }) });

  test('a worker with --grace 2 exits within 7 s of SIGTERM while Redis is down, idle', async () => {
    const w = await startWorker(env, ['--grace', '2']);
    procs.push(w);
    await redis.stop();
    w.kill('SIGTERM');
    expect(await exitWithin(w, BOUND_MS)).not.toBe('still running');
    expect(alive(w.pid)).toBe(false);
  });

  test('a worker with --grace 2 exits within 7 s of SIGTERM while Redis is down, with a task that ignores its signal', async () => {
    const w = await startWorker(env, ['--grace', '2']);
    procs.push(w);
    const rt = server();
    try {
      void rt.run(rt.instantiate('stop/StubbornTask', { tag: 'down' })).catch(() => undefined);
      await until('the task to start', () => started() === 1);
      await redis.stop();
      w.kill('SIGTERM');
      expect(await exitWithin(w, BOUND_MS)).not.toBe('still running');
      expect(alive(w.pid)).toBe(false);
    } finally {
      await rt.close();
    }
  });

  test('with Redis up, a task past the grace period is stopped and its job handed back to the queue; the worker exits in time', async () => {
    const w = await startWorker(env, ['--grace', '1']);
    procs.push(w);
    const rt = server();
    const conn = redisConnection(redis.url);
    const queue = new Queue(queueName('default'), { connection: conn, prefix: env['NECTAR_QUEUE_PREFIX'] });
    try {
      const task = rt.instantiate('stop/StubbornTask', { tag: 'up', ms: 3000 });
      void rt.run(task).catch(() => undefined);
      await until('the task to start', () => started() === 1);
      w.kill('SIGTERM');
      expect(await exitWithin(w, 6000)).toBe(0);
      const job = await Job.fromId(queue, task.id);
      expect(['waiting', 'prioritized']).toContain(await job?.getState());
      // The worker is gone before the task would have written: nothing was written.
      expect(journal().some((l) => l.includes(' wrote '))).toBe(false);
      expect(existsSync(join(env['NECTAR_TARGETS'] as string, taskFolder(task.id), 'out.txt'))).toBe(false);
    } finally {
      await queue.close();
      conn.disconnect();
      await rt.close();
    }
  });

  test('after the grace period a task that goes on has its writes refused (in this process)', async () => {
    const rt = server();
    const workerRt = server();
    const worker = workerRt.worker({ grace: 200, concurrency: 1 });
    try {
      await worker.ready();
      const task = rt.instantiate('stop/StubbornTask', { tag: 'refused', ms: 1200 });
      void rt.run(task).catch(() => undefined);
      await until('the task to start', () => started() === 1);
      await worker.close();
      await until('the task to try its write', () => journal().some((l) => / (wrote|refused) /.test(l)));
      expect(journal().filter((l) => l.includes(' refused ')).length).toBe(1);
      expect(existsSync(join(env['NECTAR_TARGETS'] as string, taskFolder(task.id), 'out.txt'))).toBe(false);
    } finally {
      await workerRt.close();
      await rt.close();
    }
  });

  test('nectar serve exits within its grace period and a few seconds of SIGTERM while Redis is down', async () => {
    const srv = await startServe(env, ['--grace', '2']);
    procs.push(srv);
    await redis.stop();
    srv.kill('SIGTERM');
    expect(await exitWithin(srv, BOUND_MS)).not.toBe('still running');
  });

  test('the --autoscale supervisor and its worker processes are gone within 7 s of SIGTERM while Redis is down', async () => {
    const { proc } = await startNectar(['worker', '--autoscale', '2..3', '--grace', '2'], env, /ready:[^\n]*\n[\s\S]*ready:[^\n]*\n[\s\S]*ready:/);
    procs.push(proc);
    const children = [...proc.stderr().matchAll(/nectar worker [0-9a-f-]{36} \(pid (\d+)\) ready/g)].map((m) => Number(m[1]));
    expect(children.length).toBe(2);
    await redis.stop();
    proc.kill('SIGTERM');
    expect(await exitWithin(proc, BOUND_MS)).not.toBe('still running');
    for (const pid of children) expect(alive(pid)).toBe(false);
  });

  test('ctx.require() on a worker with --concurrency 1 finishes (the waiting task gives its slot back)', async () => {
    const w = await startWorker(env, ['--concurrency', '1']);
    procs.push(w);
    const rt = server();
    try {
      const root = rt.instantiate('stop/ReportTask', { days: 3 });
      const r = await rt.run(root);
      expect(r.state).toBe('SUCCEEDED');
      expect(readFileSync(join(env['NECTAR_TARGETS'] as string, taskFolder(root.id), 'out.txt'), 'utf8')).toBe('d0;d1;d2;');
      // All of it ran on that one worker.
      expect(new Set(journal().map((l) => Number(l.split(' ')[0])))).toEqual(new Set([w.pid]));
    } finally {
      await rt.close();
    }
    w.kill('SIGTERM');
    expect(await exitWithin(w, BOUND_MS)).toBe(0);
  });
});
